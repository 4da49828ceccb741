"""Region vectors in PostgreSQL: searched exactly while few, through a partial HNSW index
of their own (per collection, like the images') once there are ``hnsw_threshold``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from imgsearch.store.postgres.graph import CollectionGraph
from imgsearch.store.postgres.search import (
    built_kind,
    region_candidates,
    rescore,
    search_widening,
)
from imgsearch.store.postgres.write import region_table
from imgsearch.store.records import Filters, Vector
from imgsearch.store.region_rows import region_filter

COUNT_SECONDS = 5.0
TABLE = "imgsearch_regions"
CANDIDATE_MARGIN = 32


class RegionIndex(CollectionGraph):
    """The region vectors of one collection: their count, their HNSW index, their search."""

    table = TABLE
    lock = 7_302

    _count: tuple[float, int] | None = None

    def _stale(self) -> None:
        self._count = None

    def count(self) -> int:
        """Regions of the collection, re-counted at most every few seconds."""
        now = time.monotonic()
        if self._count is None or now - self._count[0] > COUNT_SECONDS:
            with self._transaction() as tx:
                row = tx.execute(
                    "SELECT count(*) FROM imgsearch_regions WHERE collection_id = %s",
                    (self.collection_id,),
                ).fetchone()
                self._present = built_kind(tx, TABLE, self.collection_id)
            self._count = (now, int(row[0]))
        return self._count[1]

    def written(self, dim: int) -> None:
        """Regions were written: build the index once there are enough of them."""
        self._count = None
        if dim == 0 or self._built or self.count() < self.graph.threshold:
            return
        self._build_once(dim, self.count())

    def nearest(
        self,
        query: Vector,
        k: int,
        dim: int,
        filters: Filters,
        labels: Sequence[str],
        sources: Sequence[str],
        exact: bool,
    ) -> list[tuple[int, int, float]]:
        q = np.ascontiguousarray(query, dtype=np.float32)
        table = region_table(self.collection_id)
        from_where, params = region_filter(table, filters, labels, sources, self._dialect)
        use_index = not exact and self.count() >= self.graph.threshold

        def fetch(limit: int, index: bool, ef: int) -> list[Any]:
            with self._transaction() as tx:
                return region_candidates(
                    tx, self.collection_id, from_where, params, q, dim, limit, index, ef,
                    self.kind,
                )  # fmt: skip

        rows = search_widening(
            fetch, k + CANDIDATE_MARGIN, use_index, self.graph.beam(self.count())
        )
        owners = {int(row[0]): int(row[1]) for row in rows}
        best = rescore(q, [(row[0], row[2]) for row in rows], k)
        return [(region_id, owners[region_id], cosine) for region_id, cosine in best]
