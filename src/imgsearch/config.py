"""Where imgsearch keeps things by default, read from an environment the caller hands in.

Only the edges (``cli/``, ``server/``) hand in the process environment; the library below takes
explicit paths and :class:`~imgsearch.models.settings.ModelSettings`, so tests and
applications that embed imgsearch control everything (a test checks that nothing else
reads the environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Where imgsearch keeps derived files (e.g. int8 copies of models):
    ``$IMGSEARCH_CACHE``, else ``$XDG_CACHE_HOME/imgsearch`` (``~/.cache/imgsearch``)."""
    if env.get("IMGSEARCH_CACHE"):
        return Path(env["IMGSEARCH_CACHE"]).expanduser()
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
    """Hugging Face's own switch: ``HF_HUB_OFFLINE=1`` means use the cache only."""
    return env.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def env_list(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated variable as a tuple (``None`` when unset or empty)."""
    items = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    return items or None
