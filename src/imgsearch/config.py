"""Where imgsearch keeps things by default, read from an environment the caller hands in,
and the config file every command reads.

Only the edges (``cli/``, ``server/``) hand in the process environment; the library below takes
explicit paths and :class:`~imgsearch.models.settings.ModelSettings`, so tests and
applications that embed imgsearch control everything (a test checks that nothing else
reads the environment).

**The config file.** ``IMGSEARCH_CONFIG`` names a TOML file of ``name = value`` settings
(``index``, ``model``, ``precision``, ``providers``, ``cache_dir``, ``offline``, and the
server's own). Every command reads it the same way, through :func:`with_config_file`: each
setting stands for its ``IMGSEARCH_<NAME>`` variable where the environment does not set
that variable. So flags win over variables, variables over the file, the file over the
defaults, for ``imgsearch serve`` and every other command alike.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imgsearch.errors import InvalidSettings

_TRUE = {"1", "true", "yes", "on"}
CONFIG_VARIABLE = "IMGSEARCH_CONFIG"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Where imgsearch keeps derived files (e.g. int8 copies of models):
    ``$IMGSEARCH_CACHE`` (or ``$IMGSEARCH_CACHE_DIR``, the config file's ``cache_dir``),
    else ``$XDG_CACHE_HOME/imgsearch`` (``~/.cache/imgsearch``)."""
    given = env.get("IMGSEARCH_CACHE") or env.get("IMGSEARCH_CACHE_DIR")
    if given:
        return Path(given).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imgsearch"


def default_index_dir(env: Mapping[str, str]) -> Path:
    """Where the index lives unless ``--index`` says otherwise: ``$IMGSEARCH_INDEX``,
    else ``$XDG_DATA_HOME/imgsearch/index`` (``~/.local/share/imgsearch/index``)."""
    if env.get("IMGSEARCH_INDEX"):
        return Path(env["IMGSEARCH_INDEX"]).expanduser()
    return default_data_dir(env) / "index"


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/imgsearch`` (``~/.local/share/imgsearch``): indexes and the demo."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imgsearch"


def hub_offline(env: Mapping[str, str]) -> bool:
    """Use cached models only: Hugging Face's own switch ``HF_HUB_OFFLINE=1``, or
    ``IMGSEARCH_OFFLINE`` (the config file's ``offline``)."""
    return any(
        env.get(name, "").strip().lower() in _TRUE
        for name in ("HF_HUB_OFFLINE", "IMGSEARCH_OFFLINE")
    )


def env_list(value: str | None) -> tuple[str, ...] | None:
    """A list variable, comma-separated or a JSON list, as a tuple (``None`` when unset or
    empty)."""
    text = (value or "").strip()
    if text.startswith("["):
        try:
            items = tuple(str(item).strip() for item in json.loads(text))
        except ValueError:
            raise InvalidSettings(f"{text!r} is neither a JSON list nor comma-separated") from None
    else:
        items = tuple(part.strip() for part in text.split(","))
    return tuple(item for item in items if item) or None


def read_config_file(name: str) -> dict[str, Any]:
    """The settings in the TOML file ``name`` (what ``IMGSEARCH_CONFIG`` holds). A path
    that is wrong is an error, never skipped: a server that silently ignored a mistyped
    path would start without the keys the file holds."""
    path = Path(name).expanduser()
    if not path.exists():
        raise InvalidSettings(
            f"{CONFIG_VARIABLE} names {path}, which does not exist",
            hint=f"fix the path, or unset {CONFIG_VARIABLE} to run without a config file",
        )
    if not path.is_file():
        raise InvalidSettings(f"{CONFIG_VARIABLE} names {path}, which is not a file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidSettings(f"cannot read the config file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidSettings(
            f"the config file {path} is not valid TOML: {exc}",
            hint='write settings as name = value lines, e.g. port = 8000, api_keys = ["…"]',
        ) from None


def with_config_file(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the config file's settings (when ``IMGSEARCH_CONFIG`` names one) as
    the ``IMGSEARCH_<NAME>`` variables they stand for, where ``env`` lacks them: lists as
    JSON, booleans as ``true``/``false``."""
    merged = dict(env)
    if not env.get(CONFIG_VARIABLE):
        return merged
    for name, value in read_config_file(env[CONFIG_VARIABLE]).items():
        variable = f"IMGSEARCH_{name.upper()}"
        if variable in merged or isinstance(value, dict):
            continue
        if isinstance(value, bool):
            merged[variable] = "true" if value else "false"
        elif isinstance(value, list):
            merged[variable] = json.dumps([str(item) for item in value])
        else:
            merged[variable] = str(value)
    return merged
