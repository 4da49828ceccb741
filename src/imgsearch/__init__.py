"""imgsearch: self-hosted multi-modal image search.

The public API, re-exported here: :class:`Index` keeps a collection of images
searchable (``Index.open(path)``, ``index.update(folders)``,
``index.search(query)``); an :class:`Encoder` turns images, regions of
images (:class:`Box`) and texts into vectors of one shared space —
:class:`Embedder` is the one that runs ONNX model folders, :func:`load_encoder`
picks one by name (:class:`ModelSettings`), :func:`register_encoder` adds others;
:func:`export_model` (needs the ``export`` extra) converts transformers
checkpoints; :func:`catalog` lists the models known by name. Every deliberate
error is an :class:`ImgsearchError` (see :mod:`imgsearch.errors`).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imgsearch.errors import ImgsearchError
    from imgsearch.index import Index
    from imgsearch.indexer import IndexEvent, IndexReport
    from imgsearch.media.decode import DecodeOptions, ImageSource
    from imgsearch.models.catalog import DEFAULT_MODEL, ModelSpec, catalog
    from imgsearch.models.embedder import Embedder
    from imgsearch.models.encoder import Encoder
    from imgsearch.models.export import export_checkpoint as export_model
    from imgsearch.models.images import ImageOutcome
    from imgsearch.models.registry import load_encoder, register_encoder
    from imgsearch.models.resolve import resolve_model
    from imgsearch.models.settings import ModelSettings
    from imgsearch.models.text_tower import TextEmbeddings
    from imgsearch.query.expression import Hit, Hits, Query, QueryPart
    from imgsearch.store import Filters, ImageRecord
    from imgsearch.types import Box

# the installed distribution's version, as the server reports it
__version__ = importlib.metadata.version("imgsearch")

__all__ = [
    "DEFAULT_MODEL",
    "Box",
    "DecodeOptions",
    "Embedder",
    "Encoder",
    "Filters",
    "Hit",
    "Hits",
    "ImageOutcome",
    "ImageRecord",
    "ImageSource",
    "ImgsearchError",
    "Index",
    "IndexEvent",
    "IndexReport",
    "ModelSettings",
    "ModelSpec",
    "Query",
    "QueryPart",
    "TextEmbeddings",
    "__version__",
    "catalog",
    "export_model",
    "load_encoder",
    "register_encoder",
    "resolve_model",
]


# Where each public name lives. They are imported on first use (PEP 562), so that
# ``import imgsearch.cli.main`` (every command-line call, ``--help`` included) does not
# pay for NumPy, FAISS, ONNX Runtime and the stores when it does not need them.
_LOCATIONS = {
    "DEFAULT_MODEL": "imgsearch.models.catalog",
    "Box": "imgsearch.types",
    "DecodeOptions": "imgsearch.media.decode",
    "Embedder": "imgsearch.models.embedder",
    "Encoder": "imgsearch.models.encoder",
    "Filters": "imgsearch.store",
    "Hit": "imgsearch.query.expression",
    "Hits": "imgsearch.query.expression",
    "ImageOutcome": "imgsearch.models.images",
    "ImageRecord": "imgsearch.store",
    "ImageSource": "imgsearch.media.decode",
    "ImgsearchError": "imgsearch.errors",
    "Index": "imgsearch.index",
    "IndexEvent": "imgsearch.indexer",
    "IndexReport": "imgsearch.indexer",
    "ModelSettings": "imgsearch.models.settings",
    "ModelSpec": "imgsearch.models.catalog",
    "Query": "imgsearch.query.expression",
    "QueryPart": "imgsearch.query.expression",
    "TextEmbeddings": "imgsearch.models.text_tower",
    "catalog": "imgsearch.models.catalog",
    "load_encoder": "imgsearch.models.registry",
    "register_encoder": "imgsearch.models.registry",
    "resolve_model": "imgsearch.models.resolve",
}


def __getattr__(name: str) -> Any:
    if name == "export_model":  # the exporter imports torch
        from imgsearch.models.export import export_checkpoint

        return export_checkpoint
    if name in _LOCATIONS:
        value = getattr(importlib.import_module(_LOCATIONS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'imgsearch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
