"""Where vectors and metadata live: the :class:`Store` contract and its implementations."""

from __future__ import annotations

from imgsearch.store.base import Store
from imgsearch.store.records import (
    Failure,
    Filters,
    ImageFacts,
    ImageRecord,
    ImageWrite,
    IndexSettings,
    Run,
    StoredFile,
    StoreStats,
    WriteBatch,
)
from imgsearch.store.sqlite import SqliteStore

__all__ = [
    "Failure",
    "Filters",
    "ImageFacts",
    "ImageRecord",
    "ImageWrite",
    "IndexSettings",
    "Run",
    "SqliteStore",
    "Store",
    "StoreStats",
    "StoredFile",
    "WriteBatch",
]
