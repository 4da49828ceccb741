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

from typing import TYPE_CHECKING, Any

from imgsearch.embedder import Embedder, ImageOutcome, TextEmbeddings
from imgsearch.encoder import Encoder
from imgsearch.errors import ImgsearchError
from imgsearch.index import Index
from imgsearch.indexer import IndexEvent, IndexReport
from imgsearch.media.decode import DecodeOptions, ImageSource
from imgsearch.models.catalog import DEFAULT_MODEL, ModelSpec, catalog
from imgsearch.models.registry import load_encoder, register_encoder
from imgsearch.models.resolve import resolve_model
from imgsearch.models.settings import ModelSettings
from imgsearch.search import Hit, Query, QueryPart
from imgsearch.store import Filters, ImageRecord
from imgsearch.types import Box

if TYPE_CHECKING:
    from imgsearch.models.export import export_checkpoint as export_model

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "Box",
    "DecodeOptions",
    "Embedder",
    "Encoder",
    "Filters",
    "Hit",
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


def __getattr__(name: str) -> Any:
    # The exporter imports torch; load it only when asked for.
    if name == "export_model":
        from imgsearch.models.export import export_checkpoint

        return export_checkpoint
    raise AttributeError(f"module 'imgsearch' has no attribute {name!r}")
