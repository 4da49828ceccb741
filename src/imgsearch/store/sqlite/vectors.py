"""The embedded store's vector index, kept in step with SQLite.

SQLite is the source of truth: every vector write stamps its row with the batch's
revision, every deletion leaves a tombstone. The in-memory index (exact or HNSW,
:mod:`imgsearch.store.vector_index`) is saved beside the database with the revision it
reflects, and on opening it catches up with whatever was committed since — by this
process, another one, or a run that was killed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from imgsearch.store.sqlite.write import CHUNK
from imgsearch.store.vector_index import HnswParams, VectorIndex


def load_vectors(
    folder: Path, dim: int, generation: int, rev: int, threshold: int, hnsw: HnswParams
) -> tuple[VectorIndex, int]:
    """The saved index of ``folder`` and the revision it reflects, when it belongs to this
    ``generation`` (re-embedding starts a new one) and is not ahead of ``rev``; else an
    empty index at revision 0."""
    saved = VectorIndex.load(folder, dim, hnsw_threshold=threshold, hnsw=hnsw)
    if saved is not None:
        index, stamp = saved
        saved_generation, _, saved_rev = stamp.partition(":")
        if saved_generation == str(generation) and saved_rev.isdigit() and int(saved_rev) <= rev:
            return index, int(saved_rev)
    return VectorIndex(dim, hnsw_threshold=threshold, hnsw=hnsw), 0


def catch_up(db: sqlite3.Connection, index: VectorIndex, since: int) -> None:
    """Apply to ``index`` every deletion and vector write committed after revision ``since``."""
    removed = [r[0] for r in db.execute("SELECT id FROM tombstones WHERE rev > ?", (since,))]
    index.remove(np.asarray(removed, dtype=np.int64))
    cursor = db.execute(
        "SELECT id, vector FROM images WHERE vec_rev > ? AND vector IS NOT NULL ORDER BY id",
        (since,),
    )
    while rows := cursor.fetchmany(CHUNK):
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        index.upsert(ids, matrix.reshape(len(rows), -1))
