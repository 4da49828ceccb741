"""PostgreSQL specifics: HNSW through pgvector, parity with the embedded store, errors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psycopg
import pytest

from imgsearch.cli.main import cli_hint
from imgsearch.errors import StoreError
from imgsearch.query.confidence import sample_key
from imgsearch.store import Filters, ImageWrite, IndexSettings, SqliteStore, TextSet, WriteBatch
from imgsearch.store.core import SAMPLE_ORDER, filter_clause
from imgsearch.store.postgres import POSTGRES, PostgresStore, split_url
from imgsearch.store.postgres.search import (
    FULL,
    HALF,
    GraphSettings,
    auto_ef_search,
    candidates,
    preferred_kind,
)
from imgsearch.store.postgres.url import UrlOptions, parse_url
from imgsearch.types import Box, TextLine
from tests.store.conftest import facts, unit_vectors

DIM = 16


def _url(server: str, collection: str) -> str:
    return f"{server}{'&' if '?' in server else '?'}collection={collection}"


def _fill(store: object, count: int, seed: int = 0) -> np.ndarray:
    vectors = unit_vectors(count, seed=seed, dim=DIM)
    images = [
        ImageWrite(
            facts(
                f"/photos/{'beach' if i % 50 == 0 else 'city'}/img_{i:05}.jpg",
                camera="Canon EOS" if i % 7 == 0 else None,
                format="PNG" if i % 3 == 0 else "JPEG",
            ),
            vectors[i],
        )
        for i in range(count)
    ]
    for start in range(0, count, 500):
        store.write(WriteBatch(images=images[start : start + 500]))  # type: ignore[attr-defined]
    return vectors


def test_collection_is_read_from_the_url_and_removed_from_libpq_options() -> None:
    assert split_url("postgresql://u@h/db?sslmode=require&collection=photos") == (
        "postgresql://u@h/db?sslmode=require",
        "photos",
    )
    assert split_url("postgresql:///db")[1] == "default"


def test_the_search_beam_is_read_from_the_url_and_checked() -> None:
    conninfo, options = parse_url("postgresql://u@h/db?ef_search=200&collection=c&sslmode=require")
    assert conninfo == "postgresql://u@h/db?sslmode=require"
    assert options == UrlOptions("c", 200)
    assert parse_url("postgresql://u@h/db")[1].ef_search is None
    for bad in ("0", "1001", "many"):
        with pytest.raises(StoreError, match="ef_search"):
            parse_url(f"postgresql://u@h/db?ef_search={bad}")


def test_graphs_are_half_precision_from_pgvector_0_7_and_float32_before() -> None:
    class Version:
        def __init__(self, version: str | None) -> None:
            self.version = version

        def execute(self, sql: str) -> Version:
            assert "pg_extension" in sql
            return self

        def fetchone(self) -> tuple[str] | None:
            return None if self.version is None else (self.version,)

    for version, kind in [
        ("0.6.2", FULL),
        ("0.7.0", HALF),
        ("0.8.1", HALF),
        ("1.0", HALF),
        ("0.9-dev", HALF),
    ]:
        assert preferred_kind(Version(version)) == kind, version
    assert preferred_kind(Version(None)) == FULL
    assert HALF.distance("r.vector", 512) == "(r.vector::halfvec(512) <=> %s::halfvec(512))"
    # float32 graphs keep the name every earlier graph has: those stay in use
    assert FULL.index_name("imgsearch_images", 7) == "imgsearch_images_hnsw_7"
    assert HALF.index_name("imgsearch_regions", 7) == "imgsearch_regions_hnswh_7"


def test_the_automatic_beam_grows_with_each_graph() -> None:
    assert auto_ef_search(0) == auto_ef_search(25_000) == 40  # pgvector's default
    assert auto_ef_search(50_000) == 56  # the square root while small
    assert auto_ef_search(250_000) == 200  # linear past 100k
    assert auto_ef_search(500_000) == 400
    assert auto_ef_search(1_000_000) == 800
    assert auto_ef_search(2_000_000) == 1000  # pgvector's limit
    graph = GraphSettings(threshold=100, m=16, ef_construction=64, memory_mb=64, shards=4)
    assert graph.beam(1_000_000) == auto_ef_search(250_000)  # per shard
    fixed = GraphSettings(
        threshold=100, m=16, ef_construction=64, memory_mb=64, ef_search=77, shards=4
    )
    assert fixed.beam(1_000_000) == 77


@pytest.mark.slow
def test_selective_filters_through_hnsw_return_k_and_scores_match_the_embedded_store(
    postgres_url: str, tmp_path: Path
) -> None:
    pg = PostgresStore(_url(postgres_url, "parity"), hnsw_threshold=100)
    lite = SqliteStore(tmp_path / "lite")
    for store in (pg, lite):
        store.bind(IndexSettings("m", DIM))
        _fill(store, 3000)
    query = unit_vectors(1, seed=5, dim=DIM)[0]

    def plan_of(clause: str, params: list[object], use_index: bool) -> list[object]:
        with pg._transaction() as tx:
            return candidates(
                tx, pg._collection_id, query, DIM, clause, params, 10, use_index, 40,
                pg._images.kind, explain=True,
            )  # fmt: skip

    for clause in ("TRUE", "format = ANY(%s)"):  # the index is really used above the threshold
        params = [] if clause == "TRUE" else [["PNG"]]
        plan = plan_of(clause, params, True)
        assert "imgsearch_images_hnsw" in " ".join(str(r[0]) for r in plan), plan
    # an exact scan under a folder reads that folder's rows through the path index
    pg._conn.execute("ANALYZE imgsearch_images")  # as autovacuum does after a bulk load
    clause, params = filter_clause(Filters(under=("/photos/beach",)), POSTGRES)
    plan = plan_of(clause, params, False)
    assert "imgsearch_images_path_prefix" in " ".join(str(r[0]) for r in plan), plan
    # ... even when the planner's statistics still describe an empty table
    pg._conn.execute("SELECT pg_stat_reset()")
    pg._conn.execute("UPDATE pg_class SET reltuples = 1 WHERE relname = 'imgsearch_images'")
    plan = plan_of("TRUE", [], True)
    assert "imgsearch_images_hnsw" in " ".join(str(r[0]) for r in plan), plan

    def paths(store: object, hits: list[tuple[int, float]]) -> list[str]:
        # ids are the store's own (PostgreSQL's are unique across collections); paths compare
        return [r.path for r in store.get([i for i, _ in hits])]  # type: ignore[attr-defined]

    queries = unit_vectors(20, seed=9, dim=DIM)
    beach = Filters(under=("/photos/beach",))  # 60 of 3000 rows: the index alone misses most
    for query in queries:
        hits = pg.nearest(query, 10, beach)
        assert len(hits) == 10
        exact_pg = pg.nearest(query, 10, Filters(formats=("PNG",)), exact=True)
        exact_lite = lite.nearest(query, 10, Filters(formats=("PNG",)), exact=True)
        assert paths(pg, exact_pg) == paths(lite, exact_lite)
        np.testing.assert_allclose([s for _, s in exact_pg], [s for _, s in exact_lite], atol=1e-5)
        assert paths(pg, hits) == paths(lite, lite.nearest(query, 10, beach, exact=True))

    for text in ("beach", "canon", "img city", "photos beach canon"):
        a, b = pg.metadata_matches(text, 50), lite.metadata_matches(text, 50)
        assert paths(pg, a) == paths(lite, b), text
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    pg.close()
    lite.close()


def test_bad_urls_and_unreachable_servers_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore(f"postgresql:///nodb?host={tmp_path}")
    assert "cannot connect" in caught.value.message and "db start" in cli_hint(caught.value)
    with pytest.raises(StoreError, match=r"bad PostgreSQL URL|cannot connect"):
        PostgresStore("postgresql://u@h:notaport/db")


def test_a_pooled_store_serves_threads_on_their_own_connections(postgres_url: str) -> None:
    store = PostgresStore(_url(postgres_url, "pooled"), pool_size=3)
    store.bind(IndexSettings("m", DIM))
    vectors = _fill(store, 200)
    slow_started, slow_done = threading.Event(), threading.Event()

    def slow() -> None:  # holds one connection inside a transaction until cancelled
        try:
            with store._transaction() as tx:
                slow_started.set()
                tx.execute("SELECT pg_sleep(30)")
        except psycopg.errors.QueryCanceled:
            slow_done.set()

    thread = threading.Thread(target=slow, daemon=True)
    thread.start()
    assert slow_started.wait(10)
    # meanwhile other threads search and read on the other connections
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda v: store.nearest(v, 1), vectors[:20]))
    assert not slow_done.is_set()
    assert [store.get([r[0][0]])[0].path for r in results] == [
        f"/photos/{'beach' if i % 50 == 0 else 'city'}/img_{i:05}.jpg" for i in range(20)
    ]
    store._rows(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = %s",
        ["SELECT pg_sleep(30)"],
    )
    assert slow_done.wait(10)
    store.close()


@pytest.mark.slow
def test_region_vectors_get_their_own_hnsw_index_and_label_filters_return_k(
    postgres_url: str,
) -> None:
    from imgsearch.store import Box, Region, RegionSet

    store = PostgresStore(_url(postgres_url, "region-hnsw"), hnsw_threshold=200)
    store.bind(IndexSettings("m", DIM))
    vectors = unit_vectors(100 + 1000, seed=3, dim=DIM)
    ids = store.write(
        WriteBatch(images=[ImageWrite(facts(f"/r/{n}.jpg"), vectors[n]) for n in range(100)])
    )
    labels = ["bus"] * 3 + ["car"] * 997

    def regions(image: int) -> RegionSet:
        rows = range(image * 10, image * 10 + 10)
        group = [
            (Region("annotation", Box(1, 1, 5, 5), label=labels[r]), vectors[100 + r]) for r in rows
        ]
        return RegionSet("annotation", group, image_id=ids[image])

    store.write(WriteBatch(regions=[regions(n) for n in range(100)]))
    exists = store._conn.execute("SELECT to_regclass(%s)", (store._regions.name,)).fetchone()[0]
    assert exists is not None
    query = vectors[100 + 500]
    for use_index in (True, False):
        table_plan = store._conn.execute(
            "EXPLAIN SELECT id FROM imgsearch_regions WHERE collection_id = %s "
            f"AND vector_dims(vector) = {DIM} ORDER BY (vector::vector({DIM}) <=> %s::vector({DIM})) LIMIT 10",
            (store._collection_id, query),
        ).fetchall()
        assert use_index is False or store._regions.name in " ".join(str(r[0]) for r in table_plan)
    approximate = [r for r, _, _ in store.regions.nearest(query, 10)]
    exact = [r for r, _, _ in store.regions.nearest(query, 10, exact=True)]
    assert len(set(approximate) & set(exact)) >= 9
    # 3 of 1,000 regions carry the label: all 3 come back although the walk rejects most.
    assert len(store.regions.nearest(query, 10, labels=["bus"])) == 3
    store.bind(IndexSettings("other", DIM), reembed=True)  # a new model drops regions and index
    assert (
        store._conn.execute("SELECT to_regclass(%s)", (store._regions.name,)).fetchone()[0] is None
    )
    store.close()


def test_the_contains_text_filter_has_a_trigram_index_where_the_server_has_pg_trgm(
    postgres_url: str,
) -> None:
    """With pg_trgm (contrib: the Citus servers of these tests have it, the bundled test
    server has not) the filter's LIKE on the folded text can read the few rows holding the
    phrase through a GIN trigram index; without it the filter scans, with the same result."""
    pg = PostgresStore(_url(postgres_url, "trigrams"), hnsw_threshold=100_000)
    pg.bind(IndexSettings("m", DIM))
    vectors = _fill(pg, 3000)
    records = pg.get(list(range(1, 10**6)))
    texts = [
        TextSet([TextLine(f"receipt {r.id:05} total", Box(1, 1, 9, 9), 0.9)], "s", r.digest, r.id)
        for r in records
    ]
    for start in range(0, len(texts), 500):
        pg.write(WriteBatch(texts=texts[start : start + 500]))
    pg._conn.execute("ANALYZE imgsearch_image_text")
    wanted = records[1234]
    filters = Filters(contains_text=(f"receipt {wanted.id:05}",))
    assert [i for i, _ in pg.nearest(vectors[0], 10, filters)] == [wanted.id]
    available = pg._conn.execute(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).fetchone()[0]
    indexed = pg._conn.execute(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'imgsearch_image_text_folded'"
    ).fetchone()[0]
    assert indexed == available
    if available:
        _, params = filter_clause(filters, POSTGRES)
        with pg._conn.transaction():  # at 3,000 rows a scan costs as little: force the choice
            pg._conn.execute("SET LOCAL enable_seqscan = off")
            plan = pg._conn.execute(
                "EXPLAIN SELECT image_id FROM imgsearch_image_text WHERE folded LIKE %s", params
            ).fetchall()
        assert "imgsearch_image_text_folded" in " ".join(str(r[0]) for r in plan), plan
    pg.close()


def test_the_confidence_sample_is_read_through_an_index_on_its_order(postgres_url: str) -> None:
    """Migration 0014 indexes SAMPLE_ORDER per collection: the sample read never sorts the
    collection, and its population is the count the search keeps."""
    pg = PostgresStore(_url(postgres_url, "sample-order"), hnsw_threshold=100_000)
    pg.bind(IndexSettings("m", DIM))
    _fill(pg, 300)
    pg.write(WriteBatch(images=[ImageWrite(facts("/p/no-vector.jpg"), None)]))
    ids, population = pg.sample_images(50)
    stored = sorted(r.id for r in pg.get(list(range(1, 10**6))) if r.path != "/p/no-vector.jpg")
    assert population == 300
    assert ids == sorted(stored, key=lambda i: (sample_key(i), i))[:50]
    pg._conn.execute("ANALYZE imgsearch_images")
    with pg._conn.transaction():  # at 300 rows a sort costs as little: force the choice
        pg._conn.execute("SET LOCAL enable_seqscan = off")
        pg._conn.execute("SET LOCAL enable_sort = off")
        plan = pg._conn.execute(
            "EXPLAIN SELECT id FROM imgsearch_images WHERE collection_id = %s "
            f"AND vector IS NOT NULL ORDER BY {SAMPLE_ORDER.replace('%', '%%')} LIMIT 50",
            (pg._collection_id,),
        ).fetchall()
    text = " ".join(str(row[0]) for row in plan)
    assert "imgsearch_images_sample" in text and "Sort" not in text, text
    pg.close()


def test_a_database_from_before_kinds_were_stored_gets_its_videos_kind(postgres_url: str) -> None:
    """Migration 0015: videos were the rows with a duration; they become kind 'video'."""
    url = _url(postgres_url, "kinds")
    pg = PostgresStore(url)
    pg.bind(IndexSettings("m", DIM))
    vectors = unit_vectors(2)
    pg.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/v/clip.mp4", duration=4.0, kind="video"), vectors[0]),
                ImageWrite(facts("/v/still.jpg"), vectors[1]),
            ]
        )
    )
    ids = [r.id for r in pg.get(list(range(1, 10**6))) if r.path.startswith("/v/")]
    with pg._conn.transaction():  # as 0014 left it
        pg._conn.execute("ALTER TABLE imgsearch_images DROP COLUMN kind")
        pg._conn.execute("DELETE FROM imgsearch_schema WHERE name = '0015_kind'")
    pg.close()
    reopened = PostgresStore(url)
    assert sorted((r.path, r.kind) for r in reopened.get(ids)) == [
        ("/v/clip.mp4", "video"),
        ("/v/still.jpg", "image"),
    ]
    reopened.close()


def test_text_folded_before_punctuation_was_folded_is_folded_again(postgres_url: str) -> None:
    """Migration 0016: the stored folded text loses its punctuation."""
    url = _url(postgres_url, "refold")
    pg = PostgresStore(url)
    pg.bind(IndexSettings("m", DIM))
    line = TextLine("INV-4711 (paid)", Box(1.0, 2.0, 30.0, 8.0), 0.9)
    [image_id] = pg.write(
        WriteBatch(
            images=[ImageWrite(facts("/p/invoice.png", "d1"), unit_vectors(1)[0])],
            texts=[TextSet([line], "reader-1", "d1", image_index=0)],
        )
    )
    with pg._conn.transaction():  # as 0015 left it
        pg._conn.execute("UPDATE imgsearch_image_text SET folded = 'lnv-47ll(pald)'")
        pg._conn.execute("DELETE FROM imgsearch_schema WHERE name = '0016_refold_punctuation'")
    pg.close()
    reopened = PostgresStore(url)
    filters = Filters(contains_text=("inv 4711",))
    assert [i for i, _ in reopened.nearest(unit_vectors(1)[0], 5, filters)] == [image_id]
    reopened.close()
