"""Nearest vectors in PostgreSQL: a collection's images, its regions — each table's
:class:`~imgsearch.store.postgres.graph.VectorGraph` gives the candidates (through its HNSW
index once it has one, else exactly), re-scored here in float32 so near-ties order
exactly, best first, equal cosines by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from imgsearch.store import core
from imgsearch.store.postgres.dialect import POSTGRES
from imgsearch.store.postgres.graph import VectorGraph
from imgsearch.store.postgres.search import GraphKind, candidates, region_candidates, rescore
from imgsearch.store.postgres.write import region_table
from imgsearch.store.records import Filters, Vector
from imgsearch.store.region_rows import region_filter


def nearest_images(
    graph: VectorGraph, query: Vector, k: int, filters: Filters, exact: bool
) -> list[tuple[int, float]]:
    """The ``k`` images of ``graph``'s collection nearest ``query`` that pass ``filters``:
    ``(image id, cosine)``."""
    q = np.ascontiguousarray(query, dtype=np.float32)
    clause, params = core.filter_clause(filters, POSTGRES)
    dim = graph.state()[0]

    def fetch(tx: Any, limit: int, index: bool, ef: int, kind: GraphKind) -> list[Any]:
        return candidates(tx, graph.collection_id, q, dim, clause, params, limit, index, ef, kind)

    return rescore(q, graph.nearest(fetch, k, exact=exact), k)


def nearest_regions(
    graph: VectorGraph,
    query: Vector,
    k: int,
    filters: Filters,
    labels: Sequence[str],
    sources: Sequence[str],
    exact: bool,
) -> list[tuple[int, int, float]]:
    """The ``k`` regions of ``graph``'s collection nearest ``query`` whose image passes
    ``filters`` (and whose label and source are among ``labels`` / ``sources``, when
    given): ``(region id, image id, cosine)``."""
    q = np.ascontiguousarray(query, dtype=np.float32)
    c = graph.collection_id
    from_where, params = region_filter(region_table(c), filters, labels, sources, POSTGRES)
    dim = graph.state()[0]

    def fetch(tx: Any, limit: int, index: bool, ef: int, kind: GraphKind) -> list[Any]:
        return region_candidates(tx, c, from_where, params, q, dim, limit, index, ef, kind)

    rows = graph.nearest(fetch, k, exact=exact)
    owners = {int(row[0]): int(row[1]) for row in rows}
    best = rescore(q, [(row[0], row[2]) for row in rows], k)
    return [(region_id, owners[region_id], cosine) for region_id, cosine in best]
