"""What the image and region vectors of a collection share in PostgreSQL: a partial HNSW
index per collection, which exists from ``hnsw_threshold`` vectors on, and whose kind
(vector or half-precision) is the one built first.

:class:`~imgsearch.store.postgres.images.ImageIndex` and
:class:`~imgsearch.store.postgres.regions.RegionIndex` add their counting and search.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from imgsearch.store.postgres.search import KINDS, GraphKind, GraphSettings, build_hnsw


class CollectionGraph:
    """One table's vectors of one collection, and the graph over them."""

    table: str
    lock: int
    """The first key of the advisory lock that lets one writer at a time build the graph."""

    def __init__(
        self,
        collection_id: int,
        transaction: Callable[[], AbstractContextManager[Any]],
        dialect: Any,
        graph: GraphSettings,
    ) -> None:
        self.collection_id = collection_id
        self._transaction = transaction
        self._dialect = dialect
        self.graph = graph
        self._present: GraphKind | None = None  # the graph's kind, read with the count
        self._built = False

    @property
    def kind(self) -> GraphKind:
        """The kind of the collection's graph: the one it has, else the one it will get."""
        return self._present or self.graph.kind

    @property
    def name(self) -> str:
        return self.kind.index_name(self.table, self.collection_id)

    def forget(self, tx: Any | None = None) -> None:
        """After a model change: counts are stale and the index (if ``tx``) is dropped."""
        self._stale()
        self._present, self._built = None, False
        if tx is not None:
            for kind in KINDS:
                tx.execute(
                    f"DROP INDEX IF EXISTS {kind.index_name(self.table, self.collection_id)}"
                )

    def _stale(self) -> None:
        """Forget the cached count (it is read again when next needed)."""
        raise NotImplementedError

    def _build_once(self, dim: int, count: int) -> None:
        """Build the graph of ``count`` vectors unless this process did, or one exists."""
        with self._transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (self.lock, self.collection_id))
            if self._present is None:  # a graph of another kind (built before) stays
                build_hnsw(
                    tx, self.collection_id, dim, count, self.graph, self.graph.kind,
                    table=self.table,
                )  # fmt: skip
                self._present = self.graph.kind
        self._built = True
