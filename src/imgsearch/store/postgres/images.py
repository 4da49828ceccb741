"""Whole-image vectors in PostgreSQL: searched exactly while few, through the
collection's partial HNSW index once there are ``hnsw_threshold`` (the region vectors'
counterpart is :mod:`imgsearch.store.postgres.regions`)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from imgsearch.store import core
from imgsearch.store.postgres.graph import CollectionGraph
from imgsearch.store.postgres.search import (
    built_kind,
    candidates,
    rescore,
    search_widening,
)
from imgsearch.store.records import Filters, Vector

STATE_SECONDS = 5.0
INDEXED_STATE_SECONDS = 60.0
"""Once the graph is due the count only sizes the search beam: counting a million rows
(on Citus, over every shard) is then done once a minute, not every few seconds."""
TABLE = "imgsearch_images"
CANDIDATE_MARGIN = 16  # extra candidates re-scored in float32, so near-ties order exactly


class ImageIndex(CollectionGraph):
    """The image vectors of one collection: their count, their HNSW index, their search."""

    table = TABLE
    lock = 7_301

    _state: tuple[float, int, int] | None = None  # (read at, dim, vectors)

    def _stale(self) -> None:
        self._state = None

    def written(self, vectors: bool) -> None:
        """After a write: counts are stale; with new ``vectors`` the graph may be due."""
        self._state = None
        if vectors:
            self._ensure_index()

    def state(self) -> tuple[int, int]:
        """(dim, number of vectors), re-read at most every few seconds: counting is a scan."""
        now = time.monotonic()
        stale = STATE_SECONDS
        if self._state is not None and self._state[2] >= self.graph.threshold:
            stale = INDEXED_STATE_SECONDS
        # An empty collection is read every time (cheap): another process's first run binds
        # it, and its vectors must be found at once, not after the cached "none" ages.
        if self._state is None or self._state[2] == 0 or now - self._state[0] > stale:
            with self._transaction() as tx:
                # two statements: on Citus the collections table is the coordinator's
                # own and the images table is spread over the workers
                (dim,) = tx.execute(
                    "SELECT dim FROM imgsearch_collections WHERE id = %s", (self.collection_id,)
                ).fetchone()
                (count,) = tx.execute(
                    "SELECT count(*) FROM imgsearch_images "
                    "WHERE collection_id = %s AND vector IS NOT NULL",
                    (self.collection_id,),
                ).fetchone()
                self._present = built_kind(tx, TABLE, self.collection_id)
            self._state = (now, int(dim or 0), int(count))
        return self._state[1], self._state[2]

    def _ensure_index(self) -> None:
        """Build the collection's HNSW index when it first holds ``threshold`` vectors.

        Below that, exact scans are fast and every insert skips the graph update
        (pgvector's most expensive write); one bulk build is far cheaper than
        inserting row by row. Once built, the index follows every write.
        """
        dim, count = self.state()
        if dim == 0 or count < self.graph.threshold or self._built:
            return
        self._build_once(dim, count)

    def nearest(
        self, query: Vector, k: int, filters: Filters, exact: bool
    ) -> list[tuple[int, float]]:
        dim, count = self.state()
        if k <= 0 or dim == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32)
        clause, params = core.filter_clause(filters, self._dialect)
        use_index = not exact and count >= self.graph.threshold

        def fetch(limit: int, index: bool, ef: int) -> list[Any]:
            return self.candidates(q, dim, clause, params, limit, index, ef)

        rows = search_widening(fetch, k + CANDIDATE_MARGIN, use_index, self.graph.beam(count))
        return rescore(q, rows, k)

    def candidates(
        self,
        query: Vector,
        dim: int,
        clause: str,
        params: list[Any],
        limit: int,
        use_index: bool,
        ef_search: int,
        *,
        explain: bool = False,
    ) -> list[Any]:
        """The ``limit`` nearest rows passing ``clause``; ``explain`` returns the plan instead."""
        with self._transaction() as tx:
            return candidates(
                tx, self.collection_id, query, dim, clause, params, limit, use_index, ef_search,
                self.kind, explain=explain,
            )  # fmt: skip
