"""Settings, read from the environment at the edges (CLI, server) and passed down.

Nothing in the library reads these globals itself; functions take explicit
arguments, so tests and embedding applications control everything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imgsearch.models.catalog import DEFAULT_MODEL

_TRUE = {"1", "true", "yes", "on"}


def default_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where imgsearch keeps derived files (e.g. int8 copies of models)."""
    if env.get("IMGSEARCH_CACHE"):
        return Path(env["IMGSEARCH_CACHE"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imgsearch"


def default_index_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where the index lives unless ``--index`` says otherwise: ``$IMGSEARCH_INDEX``,
    else ``$XDG_DATA_HOME/imgsearch/index`` (``~/.local/share/imgsearch/index``)."""
    if env.get("IMGSEARCH_INDEX"):
        return Path(env["IMGSEARCH_INDEX"]).expanduser()
    return default_data_dir(env) / "index"


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME/imgsearch`` (``~/.local/share/imgsearch``): indexes and the demo."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imgsearch"


def hub_offline(env: Mapping[str, str] = os.environ) -> bool:
    """Hugging Face's own switch: ``HF_HUB_OFFLINE=1`` means use the cache only."""
    return env.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


@dataclass(frozen=True)
class Settings:
    """What the CLI needs to build an embedder.

    ``IMGSEARCH_MODEL`` (catalog name, hub repo id or folder),
    ``IMGSEARCH_PRECISION`` (fp32 or int8), ``IMGSEARCH_PROVIDERS`` (comma
    separated onnxruntime providers), ``IMGSEARCH_CACHE``, ``HF_HUB_OFFLINE``.
    """

    model: str = DEFAULT_MODEL
    precision: str = "fp32"
    cache_dir: Path = Path("~/.cache/imgsearch")
    offline: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            model=env.get("IMGSEARCH_MODEL") or DEFAULT_MODEL,
            precision=env.get("IMGSEARCH_PRECISION") or "fp32",
            cache_dir=default_cache_dir(env),
            offline=hub_offline(env),
        )
