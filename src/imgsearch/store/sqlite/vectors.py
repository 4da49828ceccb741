"""The embedded store's vector indexes, kept in step with SQLite.

SQLite is the source of truth: every vector write stamps its row with the batch's
revision, every deletion leaves a tombstone. An in-memory index (exact or HNSW,
:mod:`imgsearch.store.sqlite.vector_index`) is saved beside the database with the revision it
reflects, and on opening it catches up with whatever was committed since — by this
process, another one, or a run that was killed. Whole images and regions each have one,
from the same revisions: one batch moves both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgsearch.store.sqlite.rwlock import ReadWriteLock
from imgsearch.store.sqlite.vector_index import HnswParams, IdArray, VectorIndex, Vectors
from imgsearch.store.sqlite.write import CHUNK


@dataclass(frozen=True)
class VectorTable:
    """Where one kind of vector lives: its table, its tombstones, where its index is saved."""

    rows: str
    tombstones: str
    folder: Path
    owner: str | None = None
    """A column kept in memory beside the vectors (a region's image id), so that a search
    answers it without reading the database."""


class SyncedVectors:
    """One in-memory vector index and the (generation, revision) of the data it reflects.

    Searches read it concurrently; catching up takes it exclusively."""

    def __init__(self, table: VectorTable, threshold: int, hnsw: HnswParams) -> None:
        self.table = table
        self._threshold = threshold
        self._hnsw = hnsw
        self._lock = ReadWriteLock()
        self._index: VectorIndex | None = None
        self._stamp = (-1, -1)
        self._dirty = False
        self._owners: IdArray = np.full(0, -1, dtype=np.int64)

    def current(
        self,
        snapshot: Callable[[], AbstractContextManager[sqlite3.Connection]],
        stamp_of: Callable[[sqlite3.Connection | None], tuple[int, int]],
        dim_of: Callable[[sqlite3.Connection], int],
    ) -> VectorIndex:
        """The index caught up with the database: ``stamp_of(db)`` reads the (generation,
        revision) the data is at, inside one ``snapshot()`` with the rows it catches up
        from (``stamp_of(None)``: on its own, to see whether anything is new)."""
        # The common case, nothing new: one statement (atomic on its own), no transaction.
        if self._index is not None and stamp_of(None) == self._stamp:
            return self._index
        with self._lock.writing(), snapshot() as db:
            stamp = stamp_of(db)
            if stamp == self._stamp and self._index is not None:
                return self._index
            generation, rev = stamp
            index = self._index if self._stamp[0] == generation else None
            since = self._stamp[1] if index is not None else 0
            if index is None:
                index, since = load_vectors(
                    self.table.folder, dim_of(db), generation, rev, self._threshold, self._hnsw
                )
                self._owners = np.full(0, -1, dtype=np.int64)
                self._read_owners(db, None)  # the saved rows' too
            if since < rev:  # a saved index that is up to date needs no query at all
                catch_up(db, self.table, index, since)
                self._read_owners(db, since)
            self._index = index
            self._dirty = self._dirty or since != rev
            self._stamp = stamp
            return index

    def _read_owners(self, db: sqlite3.Connection, since: int | None) -> None:
        column = self.table.owner
        if column is None:
            return
        where = "" if since is None else f" WHERE vec_rev > {int(since)}"
        rows = db.execute(f"SELECT id, {column} FROM {self.table.rows}{where}").fetchall()
        if not rows:
            return
        pairs = np.asarray(rows, dtype=np.int64)
        top = int(pairs[:, 0].max())
        if top >= len(self._owners):
            grown = np.full(max(top + 1, int(len(self._owners) * 1.5) + 1024), -1, dtype=np.int64)
            grown[: len(self._owners)] = self._owners
            self._owners = grown
        self._owners[pairs[:, 0]] = pairs[:, 1]

    def search(
        self, query: Vectors, k: int, allowed: IdArray | None, exact: bool
    ) -> tuple[IdArray, Vectors, str, IdArray]:
        """Ids and scores of the ``k`` best (see :meth:`VectorIndex.search`), the mode, and
        their ``owner`` column (read under the same lock as the ids: in step with them)."""
        with self._lock.reading():
            index = self._index
            assert index is not None, "current() first"
            ids, scores = index.search(query, k, allowed=allowed, exact=exact)
            owners = self._owners[ids] if self.table.owner is not None else ids[:0]
            return ids, scores, index.mode, owners

    def save(self) -> None:
        """Write an HNSW graph that moved on (an exact index is rebuilt from SQLite)."""
        if self._index is not None and self._dirty and self._index.mode == "hnsw":
            generation, rev = self._stamp
            self._index.save(self.table.folder, f"{generation}:{rev}")
            self._dirty = False


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


def catch_up(db: sqlite3.Connection, table: VectorTable, index: VectorIndex, since: int) -> None:
    """Apply to ``index`` every deletion and vector write committed after revision ``since``."""
    removed = [
        r[0] for r in db.execute(f"SELECT id FROM {table.tombstones} WHERE rev > ?", (since,))
    ]
    index.remove(np.asarray(removed, dtype=np.int64))
    # From a saved index only the rows written since are read, through the revision's
    # index: left to itself, SQLite prefers scanning the whole table in id order (at
    # 100,000 images, 265 ms of every cold search), not knowing how few rows are newer.
    hint = f" INDEXED BY {table.rows}_vec_rev" if since > 0 else ""
    cursor = db.execute(
        f"SELECT id, vector FROM {table.rows}{hint} WHERE vec_rev > ? AND vector IS NOT NULL "
        "ORDER BY id",
        (since,),
    )
    while rows := cursor.fetchmany(CHUNK):
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        index.upsert(ids, matrix.reshape(len(rows), -1))
