"""The vectors of one table of a collection in PostgreSQL — its images' or its regions' —
and the graph over them: one API for both (:class:`VectorGraph`), told apart only by
their :class:`GraphTable`.

Vectors are searched exactly while few; from ``hnsw_threshold`` vectors on, a partial HNSW
index per collection is built once, in bulk (far cheaper than pgvector's row-by-row graph
inserts), and every later write follows it. Its kind (vector or half precision) is the
one built first. The collection's dimension and the table's count are cached for a few
seconds — a minute once the graph is due, when the count only sizes the search beam
(counting a million rows, on Citus over every shard, is a scan).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from imgsearch.store.postgres.search import (
    KINDS,
    GraphKind,
    GraphSettings,
    build_hnsw,
    built_kind,
    search_widening,
)

STATE_SECONDS = 5.0
INDEXED_STATE_SECONDS = 60.0

Fetch = Callable[[Any, int, bool, int, GraphKind], list[Any]]
"""``fetch(tx, limit, use_index, ef_search, kind)``: the ``limit`` nearest candidate rows,
through the graph (of ``kind``, with a beam of ``ef_search``) or by an exact scan."""


@dataclass(frozen=True)
class GraphTable:
    """A table whose vectors get a graph: its name, the first key of the advisory lock that
    lets one writer at a time build the graph, which of its rows hold a vector, and how
    many candidates beyond ``k`` are re-scored in float32 (so near-ties order exactly)."""

    name: str
    lock: int
    with_vector: str
    margin: int


IMAGES = GraphTable("imgsearch_images", 7_301, "vector IS NOT NULL", 16)
REGIONS = GraphTable("imgsearch_regions", 7_302, "TRUE", 32)


class VectorGraph:
    """One table's vectors of one collection: their count, their graph, their search."""

    def __init__(
        self,
        table: GraphTable,
        collection_id: int,
        transaction: Callable[[], AbstractContextManager[Any]],
        graph: GraphSettings,
    ) -> None:
        self.table = table
        self.collection_id = collection_id
        self._transaction = transaction
        self.graph = graph
        self._present: GraphKind | None = None  # the graph's kind, read with the count
        self._built = False
        self._state: tuple[float, int, int] | None = None  # (read at, dim, vectors)

    @property
    def kind(self) -> GraphKind:
        """The kind of the collection's graph: the one it has, else the one it will get."""
        return self._present or self.graph.kind

    @property
    def name(self) -> str:
        return self.kind.index_name(self.table.name, self.collection_id)

    def state(self) -> tuple[int, int]:
        """(the collection's dimension, vectors in the table), re-read at most every few
        seconds. An empty table is read every time (cheap): another process's first run
        fills it, and its vectors must be found at once, not after a cached "none" ages."""
        now = time.monotonic()
        stale = STATE_SECONDS
        if self._state is not None and self._state[2] >= self.graph.threshold:
            stale = INDEXED_STATE_SECONDS
        if self._state is None or self._state[2] == 0 or now - self._state[0] > stale:
            with self._transaction() as tx:
                # two statements: on Citus the collections table is the coordinator's
                # own and the vectors' tables are spread over the workers
                (dim,) = tx.execute(
                    "SELECT dim FROM imgsearch_collections WHERE id = %s", (self.collection_id,)
                ).fetchone()
                (count,) = tx.execute(
                    f"SELECT count(*) FROM {self.table.name} "
                    f"WHERE collection_id = %s AND {self.table.with_vector}",
                    (self.collection_id,),
                ).fetchone()
                self._present = built_kind(tx, self.table.name, self.collection_id)
            self._state = (now, int(dim or 0), int(count))
        return self._state[1], self._state[2]

    def written(self, vectors: bool) -> None:
        """After a write: the count is stale; with new ``vectors`` the graph may be due
        (built once, when the table first holds ``threshold`` vectors)."""
        self._state = None
        if not vectors or self._built:
            return
        dim, count = self.state()
        if dim and count >= self.graph.threshold:
            self._build_once(dim, count)

    def nearest(self, fetch: Fetch, k: int, *, exact: bool = False) -> list[Any]:
        """At least ``k`` + the table's margin candidate rows (fewer when fewer pass) from
        ``fetch``: through the graph once it is due (widening its beam until enough pass
        the query's filter) unless ``exact``, else by an exact scan; none while the
        collection has no model."""
        dim, count = self.state()
        if k <= 0 or dim == 0:
            return []
        use_index = not exact and count >= self.graph.threshold

        def candidates(limit: int, index: bool, ef: int) -> list[Any]:
            with self._transaction() as tx:
                return fetch(tx, limit, index, ef, self.kind)

        return search_widening(candidates, k + self.table.margin, use_index, self.graph.beam(count))

    def forget(self, tx: Any | None = None) -> None:
        """After a model change: the count is stale and the graph (if ``tx``) is dropped."""
        self._state = None
        self._present, self._built = None, False
        if tx is not None:
            for kind in KINDS:
                tx.execute(
                    f"DROP INDEX IF EXISTS {kind.index_name(self.table.name, self.collection_id)}"
                )

    def _build_once(self, dim: int, count: int) -> None:
        """Build the graph of ``count`` vectors unless this process did, or one exists."""
        with self._transaction() as tx:
            tx.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (self.table.lock, self.collection_id)
            )
            if self._present is None:  # a graph of another kind (built before) stays
                build_hnsw(
                    tx, self.collection_id, dim, count, self.graph, self.graph.kind,
                    table=self.table.name,
                )  # fmt: skip
                self._present = self.graph.kind
        self._built = True
