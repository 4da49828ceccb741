"""JSON documents kept on a collection's row: the region policy and the confidence
calibration (see :meth:`imgsearch.store.Store.region_policy` and
:meth:`~imgsearch.store.Store.calibration`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from imgsearch.store import core

COLUMNS = ("region_policy", "calibration")
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
