"""The embedded store's settings table: key-value facts about the index, the model guard
(which model its vectors come from, and what changing it does) and stored documents
(region policy, confidence calibration, text policy) as JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from imgsearch.store import core, records
from imgsearch.store.base import DOCUMENTS


def get_setting(connection: sqlite3.Connection, key: str) -> str | None:
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put_setting(connection: sqlite3.Connection, key: str, value: object) -> None:
    connection.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(value)),
    )


def get_document(connection: sqlite3.Connection, key: str) -> dict[str, Any]:
    """A stored JSON object (``{}`` when none was stored)."""
    return core.document_from_text(get_setting(connection, key), key.replace("_", " "))


def put_document(connection: sqlite3.Connection, key: str, document: Mapping[str, Any]) -> None:
    put_setting(connection, key, json.dumps(dict(document), sort_keys=True))


def read_settings(connection: sqlite3.Connection) -> records.IndexSettings | None:
    """The model the index is bound to (None: not bound yet)."""
    model_id = get_setting(connection, "model_id")
    if model_id is None:
        return None
    return records.IndexSettings(
        model_id=model_id,
        dim=int(get_setting(connection, "dim") or 0),
        preprocessing=get_setting(connection, "preprocessing") or "",
        source=get_setting(connection, "model_source") or model_id,
    )


def bind_index(
    tx: sqlite3.Connection, location: str, settings: records.IndexSettings, reembed: bool
) -> None:
    """Bind the index to ``settings``' model in ``tx``: refused for another model unless
    re-embedding, which drops every vector and region made with the old one."""
    current = get_setting(tx, "model_id")
    dim = int(get_setting(tx, "dim") or 0)
    if current == settings.model_id and dim == settings.dim:
        if settings.source:
            put_setting(tx, "model_source", settings.source)
        return
    if core.check_binding(location, current, dim, settings, reembed=reembed):
        tx.execute("UPDATE images SET vector = NULL, vec_rev = 0")
        tx.execute("DELETE FROM tombstones")
        tx.execute("DELETE FROM regions")  # cut with the old model: meaningless now
        tx.execute("DELETE FROM region_tombstones")
        tx.execute("DELETE FROM region_stamps")
    # A new generation whenever the vectors mean something else, the first binding too:
    # a process that searched the empty index holds vector indexes of dimension 0, made
    # for generation 0, and must not catch them up with this model's vectors.
    put_setting(tx, "generation", int(get_setting(tx, "generation") or 0) + 1)
    put_setting(tx, "model_id", settings.model_id)
    put_setting(tx, "dim", settings.dim)
    put_setting(tx, "preprocessing", settings.preprocessing)
    put_setting(tx, "model_source", settings.source or settings.model_id)


class SqliteDocuments:
    """The store's documents part (:class:`imgsearch.store.base.Documents`): each a JSON
    value in the ``settings`` table, read on the store's reader, written in a transaction
    of its own."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    ) -> None:
        self._reader = reader
        self._transaction = transaction

    def get(self, name: str) -> dict[str, Any]:
        return get_document(self._reader(), _known(name))

    def put(self, name: str, document: Mapping[str, Any]) -> None:
        with self._transaction() as tx:
            put_document(tx, _known(name), document)


def _known(name: str) -> str:
    if name not in DOCUMENTS:
        raise ValueError(f"no document {name!r}: an index keeps {', '.join(DOCUMENTS)}")
    return name
