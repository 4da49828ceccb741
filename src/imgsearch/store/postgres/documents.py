"""A collection's row: finding (or making) it by name, and the JSON documents kept on it —
the region policy, the confidence calibration and the text policy (see
:meth:`imgsearch.store.Store.region_policy`, :meth:`~imgsearch.store.Store.calibration`
and :meth:`~imgsearch.store.Store.text_policy`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imgsearch.errors import IndexNotFound
from imgsearch.store import core

COLUMNS = ("region_policy", "calibration", "text_policy")
"""The columns of ``imgsearch_collections`` that hold documents (never a caller's text)."""


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
