"""A collection's row: finding (or making) it by name, and the JSON documents kept on it —
the region policy, the confidence calibration and the text policy (the store's documents
part, :class:`imgsearch.store.base.Documents`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from imgsearch.errors import IndexNotFound
from imgsearch.store import core
from imgsearch.store.base import DOCUMENTS

COLUMNS = DOCUMENTS
"""The columns of ``imgsearch_collections`` that hold documents (never a caller's text)."""


class PostgresDocuments:
    """The store's documents part: each a JSON column of the collection's row."""

    def __init__(
        self,
        collection_id: int,
        connection: Callable[[], AbstractContextManager[Any]],
        transaction: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self._collection_id = collection_id
        self._connection = connection
        self._transaction = transaction

    def get(self, name: str) -> dict[str, Any]:
        with self._connection() as conn:
            return read_document(conn, self._collection_id, _known(name))

    def put(self, name: str, document: Mapping[str, Any]) -> None:
        with self._transaction() as tx:
            write_document(tx, self._collection_id, _known(name), document)


def _known(name: str) -> str:
    if name not in COLUMNS:
        raise ValueError(f"no document {name!r}: an index keeps {', '.join(COLUMNS)}")
    return name


def read_document(connection: Any, collection_id: int, column: str) -> dict[str, Any]:
    """The document in ``column`` (``{}`` when none was stored)."""
    assert column in COLUMNS
    row = connection.execute(
        f"SELECT {column} FROM imgsearch_collections WHERE id = %s", (collection_id,)
    ).fetchone()
    return core.document_from_text(row[0] if row else None, column.replace("_", " "))


def write_document(tx: Any, collection_id: int, column: str, document: Mapping[str, Any]) -> None:
    """Store ``document`` in ``column`` in place of the last one."""
    assert column in COLUMNS
    tx.execute(
        f"UPDATE imgsearch_collections SET {column} = %s WHERE id = %s",
        (json.dumps(dict(document), sort_keys=True), collection_id),
    )


def find_collection(tx: Any, name: str, location: str, *, create: bool) -> int:
    """The id of collection ``name`` (made when ``create`` is true), in transaction ``tx``."""
    row = tx.execute("SELECT id FROM imgsearch_collections WHERE name = %s", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    if not create:
        raise IndexNotFound(
            f"no collection {name!r} in {location}", hint="index a folder into it first"
        )
    row = tx.execute(
        "INSERT INTO imgsearch_collections (name) VALUES (%s) "
        "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
        (name,),
    ).fetchone()
    return int(row[0])
