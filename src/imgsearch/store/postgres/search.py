"""Searching PostgreSQL: nearest candidates by HNSW or exact scan, and BM25 in SQL.

Candidates are re-scored in float32 by the store, so cosines and their order are the
embedded store's; BM25 is computed over the same tokens as its FTS5, from the terms
table alone, so the plan stays an index range scan per query term.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from imgsearch.store.postgres import citus
from imgsearch.store.postgres.terms import K1, B
from imgsearch.store.postgres.write import as_vector
from imgsearch.store.records import Vector

MAX_EF_SEARCH = 1000  # pgvector's limit
MIN_EF_SEARCH = 40  # pgvector's default
EF_PER_ROOT = 0.25
VECTORS_PER_EF = 1250
"""The automatic beam grows with the square root of the graph's size, then linearly
(see :func:`auto_ef_search`)."""

BM25_QUERY = (
    "WITH stats AS MATERIALIZED (SELECT count(*)::float8 AS n, "
    "coalesce(avg(doc_len), 0)::float8 AS avglen FROM imgsearch_images "
    "WHERE collection_id = %s), "
    "df AS MATERIALIZED (SELECT term, count(*)::float8 AS nt FROM imgsearch_terms "
    "WHERE collection_id = %s AND term = ANY(%s) GROUP BY term), "
    "idf AS MATERIALIZED (SELECT df.term, "
    # on Citus each part runs on its own snapshot: a count of images taken before a
    # concurrent batch landed can trail its terms' counts, so the ratio is kept positive
    "greatest(ln(greatest(stats.n - df.nt + 0.5, 0.5) / (df.nt + 0.5)), 0) AS raw "
    "FROM df, stats), "
    "scored AS MATERIALIZED (SELECT t.image_id, "
    f"sum(CASE WHEN idf.raw <= 0 THEN 1e-6 ELSE idf.raw END * (t.tf * {K1 + 1}) / "
    f"(t.tf + {K1} * (1 - {B} + {B} * t.doc_len / greatest(stats.avglen, 1e-9)))) AS score "
    "FROM idf JOIN imgsearch_terms t ON t.collection_id = %s AND t.term = idf.term "
    "CROSS JOIN stats GROUP BY t.image_id) "
    "SELECT i.id, s.score FROM scored s JOIN imgsearch_images i "
    "ON i.collection_id = %s AND i.id = s.image_id "
    "WHERE i.vector IS NOT NULL AND {clause} "
    "ORDER BY s.score DESC, i.id LIMIT %s"
)
"""Parameters: collection ×2, terms, collection ×2, the filter's, limit; ``{clause}`` is
the filter condition on ``i`` (the images table)."""


@dataclass(frozen=True)
class GraphKind:
    """What a collection's HNSW graph is built over: its vectors cast to ``element``
    (``vector`` or ``halfvec``), in an index named ``{table}_{infix}_{collection}``.

    Graphs of ``halfvec`` (pgvector ≥ 0.7) hold half the bytes per vector: half the
    graph memory a server must keep cached (130 MiB instead of 260 for 100k 512-d
    vectors), at the same recall. Faster walks where memory traffic dominates (100k on
    one server: 5.3 ms instead of 8.3 at ef 200), no slower elsewhere (1M on two Citus
    shards: 10.9 ms and 10.5 at ef 400). Candidates are re-scored in float32 from the
    table's own vectors, so scores stay exact.
    """

    infix: str
    element: str

    def index_name(self, table: str, collection_id: int) -> str:
        return f"{table}_{self.infix}_{int(collection_id)}"

    def distance(self, column: str, dim: int) -> str:
        """The cosine distance of ``column`` to the query parameter, as the graph orders it."""
        cast = f"{self.element}({int(dim)})"
        return f"({column}::{cast} <=> %s::{cast})"


FULL = GraphKind("hnsw", "vector")
"""Float32 graphs: where pgvector is older than 0.7, and every graph built before
imgsearch built half-precision ones (same name: they stay in use)."""
HALF = GraphKind("hnswh", "halfvec")
KINDS = (HALF, FULL)


def preferred_kind(tx: Any) -> GraphKind:
    """The kind of graph to build in this database: half precision where pgvector has it."""
    row = tx.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    version = tuple(int(n) for n in re.findall(r"\d+", str(row[0] if row else ""))[:2])
    return HALF if version >= (0, 7) else FULL


def built_kind(tx: Any, table: str, collection_id: int) -> GraphKind | None:
    """The kind of the collection's graph over ``table``, or None while it has none."""
    names = [kind.index_name(table, collection_id) for kind in KINDS]
    present = tx.execute(
        "SELECT " + ", ".join(["to_regclass(%s) IS NOT NULL"] * len(names)), names
    ).fetchone()
    return next((kind for kind, there in zip(KINDS, present, strict=True) if there), None)


def ordering(
    tx: Any, column: str, dim: int, use_index: bool, ef_search: int, kind: GraphKind
) -> str:
    """Settle in ``tx`` how the next nearest-neighbour query runs, and return the
    distance expression (with the query as its parameter) it must order by.

    Through the HNSW index: with no sort allowed, only the index scan yields rows in
    distance order, so the planner cannot fall back to btree-scan-then-sort on stale
    statistics. Exactly: ordering by the float32 distance + 0, which no HNSW index can
    produce, makes the planner scan the rows the filter selects (by index when one
    fits) and sort them. pgvector 0.8's iterative scans are not used: measured at 50k
    vectors (bench/citus.py), they answered a 1% folder filter in 92 ms at recall 0.80
    where the widening below and an exact scan of the filtered rows take a few ms at
    recall 1.
    """
    if not use_index:
        return FULL.distance(column, dim) + " + 0"
    # one statement; on Citus every SET LOCAL is replayed to the workers' connections,
    # jit too (see connect.without_jit: the workers' sessions are Citus's own)
    tx.execute(
        f"SET LOCAL hnsw.ef_search = {int(ef_search)}; SET LOCAL enable_sort = off; "
        "SET LOCAL enable_seqscan = off; SET LOCAL jit = off"
    )
    return kind.distance(column, dim)


def candidates(
    tx: Any,
    collection_id: int,
    query: Vector,
    dim: int,
    clause: str,
    params: list[Any],
    limit: int,
    use_index: bool,
    ef_search: int,
    kind: GraphKind,
    *,
    explain: bool = False,
) -> list[Any]:
    """The ``limit`` nearest rows (id, vector) passing ``clause``, through the collection's
    HNSW index (a graph of ``kind``) or an exact scan; ``explain`` returns the plan instead."""
    order = ordering(tx, "vector", dim, use_index, ef_search, kind)
    return list(
        tx.execute(
            # Literals, not parameters, for the collection and dim: a generic plan
            # (psycopg prepares repeated statements) must still match the partial
            # index's predicate. Only distance orders the index scan; ties among
            # the candidates are ordered by id after re-scoring.
            f"{'EXPLAIN ' if explain else ''}SELECT id, vector FROM imgsearch_images "
            f"WHERE collection_id = {int(collection_id)} "
            f"AND vector_dims(vector) = {dim} AND {clause} "
            f"ORDER BY {order} LIMIT %s",
            [*params, query, limit],
            # never a cached plan: whether the HNSW index may be used is decided by
            # the SET LOCALs above, which a prepared plan would ignore
            prepare=False,
            binary=True,  # vectors as float4 bytes: parsing their text costs more than the search
        ).fetchall()
    )


@dataclass(frozen=True)
class GraphSettings:
    """When a collection's vectors get an HNSW index (``threshold`` vectors), how it is
    built (``m`` links per node, ``ef_construction``, at most ``memory_mb`` to build in)
    and searched: a beam of ``ef_search`` per graph, or ``None`` to size it to the graph
    (:func:`auto_ef_search`); on Citus the vectors are split into ``shards`` graphs, one
    per shard; new graphs are of ``kind`` (both read when the store opens)."""

    threshold: int
    m: int
    ef_construction: int
    memory_mb: int
    ef_search: int | None = None
    shards: int = 1
    kind: GraphKind = FULL

    def beam(self, vectors: int) -> int:
        """The beam per graph for a search over ``vectors`` spread over the shards."""
        if self.ef_search is not None:
            return self.ef_search
        return auto_ef_search(math.ceil(vectors / max(self.shards, 1)))


def build_hnsw(
    tx: Any,
    collection_id: int,
    dim: int,
    count: int,
    graph: GraphSettings,
    kind: GraphKind,
    *,
    table: str = "imgsearch_images",
) -> None:
    """Create the collection's partial HNSW index (a graph of ``kind``) unless it exists,
    with ``maintenance_work_mem`` sized to the graph of ``count`` vectors (at most
    ``memory_mb``) — on a Citus cluster, to one shard's graph: every shard builds its own
    at once, and pgvector's parallel build reserves the whole setting up front."""
    name = kind.index_name(table, collection_id)
    exists = tx.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0]
    if exists is None:
        # pgvector builds fast only while the graph fits in maintenance_work_mem
        # (100k 512-d vectors: 32 s in memory, over 6 minutes spilling at 64 MB)
        element_bytes = 2 if kind.element == "halfvec" else 4
        per_vector = element_bytes * dim + 48 * graph.m
        per_graph = math.ceil(count / citus.shard_count(tx, table))
        memory_mb = min(graph.memory_mb, 64 + math.ceil(1.3 * per_graph * per_vector / 2**20))
        tx.execute(f"SET LOCAL maintenance_work_mem = '{int(memory_mb)}MB'")
        tx.execute(
            f"CREATE INDEX {name} ON {table} USING hnsw "
            f"((vector::{kind.element}({int(dim)})) {kind.element}_cosine_ops) "
            f"WITH (m = {int(graph.m)}, ef_construction = {int(graph.ef_construction)}) "
            # the dims test keeps a re-embedded collection's old (dead) rows out
            f"WHERE collection_id = {int(collection_id)} "
            f"AND vector_dims(vector) = {int(dim)}"
        )
        # Fresh statistics, or the planner (still believing the table nearly empty
        # after a bulk load, until autovacuum gets to it) sorts a btree scan instead.
        tx.execute(f"ANALYZE {table}")


def auto_ef_search(graph_size: int) -> int:
    """The HNSW beam for a graph of ``graph_size`` vectors (on Citus: one shard's).

    At a fixed beam, HNSW's recall falls as the graph grows, faster than the square root
    of its size past ~100k: measured on 512-d clustered vectors (bench/citus.py, the
    union of each shard's candidates), four graphs of 250k found 0.94 of the true top
    10 at ef 100, two graphs of 500k needed ef 300–400 for 0.95–0.965, one graph of 1M
    found 0.885 at ef 400. The beam therefore grows with the square root of the graph
    while it is small — 40 (pgvector's default) up to 25k vectors, 56 at 50k — and
    linearly beyond 100k: 200 at 250k, 400 at 500k, 800 at 1M. A store URL's
    ``ef_search`` fixes it instead.
    """
    size = max(graph_size, 0)
    wanted = math.ceil(max(EF_PER_ROOT * math.sqrt(size), size / VECTORS_PER_EF))
    return min(max(MIN_EF_SEARCH, wanted), MAX_EF_SEARCH)


def search_widening(
    fetch: Callable[[int, bool, int], list[Any]], wanted: int, use_index: bool, ef_search: int
) -> list[Any]:
    """Candidate rows from ``fetch(limit, use_index, ef_search)``, widening the HNSW beam
    from ``ef_search`` until ``wanted`` rows pass the filter.

    pgvector < 0.8 filters after the index scan: a selective filter leaves fewer than
    ``wanted`` of the ``ef`` rows it walked. Their share estimates the filter's pass rate:
    the beam widens to what should yield ``wanted``, or, past pgvector's limit, the rows
    the filter selects are scanned exactly (through the filter indexes).
    """
    ef = min(max(ef_search, 2 * wanted), MAX_EF_SEARCH)
    while True:
        rows = fetch(wanted, use_index, min(ef, MAX_EF_SEARCH))
        if not use_index or len(rows) >= wanted:
            return rows
        needed = MAX_EF_SEARCH + 1 if not rows else math.ceil(1.5 * wanted * ef / len(rows))
        if needed > MAX_EF_SEARCH or ef == MAX_EF_SEARCH:
            use_index = False
        ef = min(max(needed, 2 * ef), MAX_EF_SEARCH)


def rescore(query: Vector, rows: list[Any], k: int) -> list[tuple[int, float]]:
    """The ``k`` best of the candidate ``rows`` by float32 cosine, ties by id (as the
    embedded store orders them)."""
    if not rows:
        return []
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    scores = np.stack([as_vector(r[1]) for r in rows]) @ query
    order = np.lexsort((ids, -scores))[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


def region_candidates(
    tx: Any,
    collection_id: int,
    from_where: str,
    params: list[Any],
    query: Vector,
    dim: int,
    limit: int,
    use_index: bool,
    ef_search: int,
    kind: GraphKind,
) -> list[Any]:
    """The ``limit`` nearest regions ``(id, image id, vector)`` that ``from_where`` (see
    :func:`~imgsearch.store.region_rows.region_filter`) selects: through the collection's
    region HNSW index (a graph of ``kind``), or by an exact scan (see :func:`candidates`)."""
    order = ordering(tx, "r.vector", dim, use_index, ef_search, kind)
    return list(
        tx.execute(
            f"SELECT r.id, r.image_id, r.vector FROM {from_where} "
            f"AND r.collection_id = {int(collection_id)} AND vector_dims(r.vector) = {int(dim)} "
            f"ORDER BY {order} LIMIT %s",
            [*params, query, limit],
            prepare=False,
            binary=True,
        ).fetchall()
    )
