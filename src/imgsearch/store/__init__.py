"""Where vectors and metadata live: the :class:`Store` contract, its implementations, and
:func:`open_store` to pick one by location.

A location with a URL scheme opens the backend registered for that scheme
(:func:`register_store`; PostgreSQL for ``postgresql://`` and ``postgres://``); anything
else is the folder of an embedded store. A new backend is one registration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from imgsearch.errors import InvalidSettings
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
    "register_store",
]


class StoreOpener(Protocol):
    def __call__(self, location: str, *, create: bool, pool_size: int) -> Store: ...


_backends: dict[str, StoreOpener] = {}
_lock = threading.Lock()


def register_store(schemes: Iterable[str], opener: StoreOpener) -> None:
    """Open locations ``scheme://…`` (for each of ``schemes``) with ``opener``, which gets
    the whole location. Registering a scheme again replaces its opener."""
    with _lock:
        for scheme in schemes:
            _backends[scheme.lower()] = opener


def _scheme(location: str) -> str:
    scheme, separator, _ = location.partition("://")
    return scheme.lower() if separator and scheme.isidentifier() else ""


def _open_postgres(location: str, *, create: bool, pool_size: int) -> Store:
    from imgsearch.store.postgres import PostgresStore  # psycopg: imported only when used

    return PostgresStore(location, create=create, pool_size=pool_size)


register_store(("postgresql", "postgres"), _open_postgres)


def open_store(location: str | None, *, create: bool = True, pool_size: int = 1) -> Store:
    """The store at ``location``: PostgreSQL for a ``postgresql://`` URL, else the embedded
    one in that folder (``None``: ``~/.local/share/imgsearch/index``; the CLI and the server
    pass ``$IMGSEARCH_INDEX`` or ``$XDG_DATA_HOME`` themselves). ``pool_size`` PostgreSQL
    connections serve concurrent callers (a server); the embedded store needs none."""
    scheme = _scheme(location) if location is not None else ""
    if location is not None and scheme:
        with _lock:
            opener = _backends.get(scheme)
        if opener is None:
            raise InvalidSettings(
                f"no store opens {scheme}:// locations",
                hint="give a folder, or a postgresql:// URL",
            )
        return opener(location, create=create, pool_size=pool_size)
    folder = Path(location) if location is not None else DEFAULT_INDEX_DIR
    return SqliteStore(folder.expanduser(), create=create)
