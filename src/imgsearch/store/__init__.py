"""Where vectors and metadata live: the :class:`Store` contract, its implementations, and
:func:`open_store` to pick one by location."""

from __future__ import annotations

from pathlib import Path

from imgsearch.store.base import Store
from imgsearch.store.records import (
    Failure,
    Filters,
    ImageFacts,
    ImageRecord,
    ImageWrite,
    IndexSettings,
    Region,
    RegionRecord,
    RegionSet,
    Run,
    StoredFile,
    StoreStats,
    TextSet,
    WriteBatch,
)
from imgsearch.store.sqlite import SqliteStore
from imgsearch.types import Box

DEFAULT_INDEX_DIR = Path("~/.local/share/imgsearch/index")

__all__ = [
    "Box",
    "Failure",
    "Filters",
    "ImageFacts",
    "ImageRecord",
    "ImageWrite",
    "IndexSettings",
    "Region",
    "RegionRecord",
    "RegionSet",
    "Run",
    "SqliteStore",
    "Store",
    "StoreStats",
    "StoredFile",
    "TextSet",
    "WriteBatch",
    "open_store",
]


def open_store(location: str | None, *, create: bool = True, pool_size: int = 1) -> Store:
    """The store at ``location``: PostgreSQL for a ``postgresql://`` URL, else the embedded
    one in that folder (``None``: ``~/.local/share/imgsearch/index``; the CLI and the server
    pass ``$IMGSEARCH_INDEX`` or ``$XDG_DATA_HOME`` themselves). ``pool_size`` PostgreSQL
    connections serve concurrent callers (a server); the embedded store needs none."""
    from imgsearch.store.postgres import is_postgres_url

    if location is not None and is_postgres_url(location):
        from imgsearch.store.postgres import PostgresStore

        return PostgresStore(location, create=create, pool_size=pool_size)
    folder = Path(location) if location is not None else DEFAULT_INDEX_DIR
    return SqliteStore(folder.expanduser(), create=create)
