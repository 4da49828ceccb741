"""The PostgreSQL store on a real Citus cluster: tables distributed over the workers with an
image's regions on its shard, the same answers as a single server, a worker down, a
worker added and the shards rebalanced while searches run, an existing database
converted in place."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from imgsearch.errors import StoreUnavailable
from imgsearch.store import (
    Filters,
    ImageWrite,
    IndexSettings,
    Region,
    RegionSet,
    WriteBatch,
)
from imgsearch.store.postgres import PostgresStore
from imgsearch.store.postgres.search import FULL, HALF, GraphKind, build_hnsw
from imgsearch.types import Box
from tests.cli.test_cli import imgsearch
from tests.store.conftest import DIM, facts, unit_vectors

pytestmark = pytest.mark.slow
IMAGES = 400


def rows(url: str, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql, params or None)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def collection(server: str, name: str) -> str:
    return f"{server}{'&' if '?' in server else '?'}collection={name}"


def clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors around 12 centres: near neighbours exist, as in a real collection."""
    rng = np.random.default_rng(seed)
    centres = unit_vectors(12, seed=seed + 1)
    vectors = centres[rng.integers(0, 12, count)] + 0.35 * rng.standard_normal((count, DIM))
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(store: PostgresStore, count: int = IMAGES, seed: int = 5) -> list[int]:
    """``count`` images in 8 folders, every third with two object regions."""
    store.bind(IndexSettings("test-model", DIM))
    vectors = clustered(count, seed)
    regions = clustered(count, seed + 7)
    ids: list[int] = []
    for start in range(0, count, 50):
        images, sets = [], []
        for n in range(start, min(start + 50, count)):
            caption_word = ["harbour", "forest", "street"][n % 3]
            images.append(
                ImageWrite(facts(f"/share/f{n % 8}/img{n:04}_{caption_word}.jpg"), vectors[n])
            )
            if n % 3 == 0:
                boxes = [Region("annotation", box=Box(1, 1, 9, 9), label=f"thing{n % 5}")] * 2
                sets.append(
                    RegionSet(
                        "annotation",
                        [(boxes[0], regions[n]), (boxes[1], -regions[n])],
                        image_index=n - start,
                    )
                )
        ids += store.write(WriteBatch(images=images, regions=sets))
    return ids


def answers(store: PostgresStore, queries: np.ndarray) -> list[Any]:
    """Everything the store answers for ``queries``: nearest (index, exact, filtered),
    regions, metadata scores."""
    folder = Filters(under=("/share/f3",))
    got: list[Any] = []
    for q in queries:
        got.append(store.nearest(q, 10))
        got.append(store.nearest(q, 10, exact=True))
        got.append(store.nearest(q, 10, folder))
        got.append(store.regions.nearest(q, 10))
        got.append(store.regions.nearest(q, 5, labels=["thing2"]))
    got.append(store.metadata_matches("harbour forest", 20))
    got.append(store.metadata_matches("img0042", 5, folder))
    return got


@pytest.fixture
def distributed(citus_cluster: Any, request: pytest.FixtureRequest) -> Iterator[PostgresStore]:
    store = PostgresStore(collection(citus_cluster.url, request.node.name), hnsw_threshold=100)
    yield store
    store.close()


def test_images_spread_over_both_workers_and_each_keeps_its_regions_on_its_shard(
    citus_cluster: Any, distributed: PostgresStore
) -> None:
    ids = fill(distributed)
    tables = rows(
        citus_cluster.url,
        "SELECT logicalrelid::text, column_to_column_name(logicalrelid, partkey), colocationid "
        "FROM pg_dist_partition WHERE logicalrelid::text LIKE 'imgsearch%' ORDER BY 1",
    )
    assert {(t, c) for t, c, _ in tables} == {
        ("imgsearch_images", "id"),
        ("imgsearch_regions", "image_id"),
        ("imgsearch_region_stamps", "image_id"),
        ("imgsearch_terms", "image_id"),
        ("imgsearch_image_text", "image_id"),
    }
    assert len({group for *_, group in tables}) == 1  # one co-location group
    # the read text's trigram index (pg_trgm is on these servers), on every shard
    trigram_shards = rows(
        citus_cluster.node_url(citus_cluster.workers[0]),
        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'imgsearch_image_text_folded%'",
    )
    assert trigram_shards[0][0] >= 1
    # and the confidence sample's order index, on every shard too
    sample_shards = rows(
        citus_cluster.node_url(citus_cluster.workers[0]),
        "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'imgsearch_images_sample%'",
    )
    assert sample_shards[0][0] >= 1
    shards = rows(
        citus_cluster.url,
        "SELECT table_name::text, shard_name, nodeport FROM citus_shards "
        "WHERE table_name::text IN ('imgsearch_images', 'imgsearch_regions')",
    )
    assert {port for *_, port in shards} == set(citus_cluster.workers)
    # two shards per worker and table: every search walks each shard's graph, so the
    # store asks for far fewer than Citus's default of 32 (citus.default_shards)
    per_table = Counter(table for table, *_ in shards)
    assert per_table == {"imgsearch_images": 4, "imgsearch_regions": 4}
    assert Counter(port for *_, port in shards) == {port: 4 for port in citus_cluster.workers}
    # on each worker, read the shards themselves: the images there, the regions there
    found_images, found_regions = 0, 0
    for port in citus_cluster.workers:
        images: set[int] = set()
        owners: set[int] = set()
        for table, shard, node in shards:
            if node != port:
                continue
            column = "id" if table == "imgsearch_images" else "image_id"
            held = {
                int(i)
                for (i,) in rows(citus_cluster.node_url(port), f"SELECT {column} FROM {shard}")
            }
            (images if table == "imgsearch_images" else owners).update(held)
        mine = images & set(ids)
        assert len(mine) > IMAGES // 4  # both workers hold a real share
        assert owners & set(ids) <= mine  # every region sits with its image
        found_images += len(mine)
        found_regions += len(owners & set(ids))
    assert found_images == IMAGES and found_regions == len(range(0, IMAGES, 3))


def test_a_table_a_later_migration_adds_joins_the_distribution(
    citus_cluster: Any, distributed: PostgresStore
) -> None:
    """A database distributed by an older imgsearch gets a new table local; the next
    connection distributes it with the others (an image's read text on its shard)."""
    fill(distributed, count=20)
    rows(citus_cluster.url, "SELECT undistribute_table('imgsearch_image_text')")
    query = (
        "SELECT logicalrelid::text, colocationid FROM pg_dist_partition "
        "WHERE logicalrelid::text IN ('imgsearch_images', 'imgsearch_image_text')"
    )
    assert [table for table, _ in rows(citus_cluster.url, query)] == ["imgsearch_images"]
    PostgresStore(distributed.location).close()
    groups = dict(rows(citus_cluster.url, query))
    assert set(groups) == {"imgsearch_images", "imgsearch_image_text"}
    assert len(set(groups.values())) == 1


def walked_index(cluster: Any, collection_id: int, query: np.ndarray, kind: GraphKind) -> str:
    """The index a worker walks for the store's search on one shard of the images (Citus
    cannot show a parametrised query's remote plans)."""
    shard, port = rows(
        cluster.url,
        "SELECT shard_name, nodeport FROM citus_shards "
        "WHERE table_name = 'imgsearch_images'::regclass ORDER BY shardid LIMIT 1",
    )[0]
    with psycopg.connect(cluster.node_url(port), autocommit=True) as worker, worker.transaction():
        worker.execute("SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off")
        plan = worker.execute(
            f"EXPLAIN (FORMAT JSON) SELECT id FROM {shard} WHERE collection_id = {collection_id} "
            f"AND vector_dims(vector) = {DIM} ORDER BY {kind.distance('vector', DIM)} LIMIT 10",
            (str(query.tolist()),),
        ).fetchone()[0]
    node = plan[0]["Plan"]
    while "Index Name" not in node:
        node = node["Plans"][0]
    return str(node["Index Name"])


def test_graphs_are_half_precision_where_pgvector_has_it_and_older_graphs_stay_in_use(
    citus_cluster: Any, distributed: PostgresStore
) -> None:
    """pgvector ≥ 0.7 (0.8.1 here): new graphs index ``halfvec`` casts, half the memory a
    search walks; a float32 graph built by an earlier imgsearch keeps answering."""
    fill(distributed)
    url, collection_id = citus_cluster.url, distributed._collection_id
    half_images = HALF.index_name("imgsearch_images", collection_id)
    half_regions = HALF.index_name("imgsearch_regions", collection_id)
    exists = "SELECT to_regclass(%s) IS NOT NULL"
    assert rows(url, exists, (half_images,)) == [(True,)]
    assert rows(url, exists, (half_regions,)) == [(True,)]
    assert rows(url, exists, (FULL.index_name("imgsearch_images", collection_id),)) == [(False,)]
    query = clustered(1, seed=42)[0]
    assert walked_index(citus_cluster, collection_id, query, HALF).startswith(half_images)
    approximate = distributed.nearest(query, 10)
    assert approximate == distributed.nearest(query, 10, exact=True)  # re-scored in float32
    # an earlier imgsearch's float32 graph: kept and searched, no second graph is built
    rows(url, f"DROP INDEX {half_images}")
    with distributed._transaction() as tx:
        build_hnsw(tx, collection_id, DIM, IMAGES, distributed._images.graph, FULL)
    reopened = PostgresStore(collection(url, distributed.collection), hnsw_threshold=100)
    try:
        assert reopened._images.graph.kind == HALF
        assert reopened.nearest(query, 10) == approximate
        assert reopened._images.kind == FULL
        assert walked_index(citus_cluster, collection_id, query, FULL).startswith(
            FULL.index_name("imgsearch_images", collection_id) + "_"
        )
        fill(reopened, 20, seed=8)  # more vectors: the graph follows them, none is added
        assert rows(url, exists, (half_images,)) == [(False,)]
        # a new model drops whichever graphs the collection has
        reopened.bind(IndexSettings("other-model", DIM), reembed=True)
        assert rows(url, exists, (FULL.index_name("imgsearch_images", collection_id),)) == [
            (False,)
        ]
        assert rows(url, exists, (half_regions,)) == [(False,)]
    finally:
        reopened.close()


def test_answers_equal_a_single_server_on_the_same_data(
    postgres_url: str, distributed: PostgresStore
) -> None:
    single = PostgresStore(collection(postgres_url, "citus-parity"), hnsw_threshold=100)
    try:
        single_ids, citus_ids = fill(single), fill(distributed)
        queries = clustered(6, seed=99)
        # the same images under other ids: compare through the path of each id
        single_paths = {i: r.path for i, r in zip(single_ids, single.get(single_ids), strict=True)}
        citus_paths = {
            i: r.path for i, r in zip(citus_ids, distributed.get(citus_ids), strict=True)
        }

        def by_path(answer: Any, paths: dict[int, str], store: PostgresStore) -> Any:
            if answer and len(answer[0]) == 3:  # regions: (region, image, cosine)
                return [(paths[image], round(cosine, 6)) for _, image, cosine in answer]
            return [(paths[i], round(score, 6)) for i, score in answer]

        expected = [by_path(a, single_paths, single) for a in answers(single, queries)]
        got = [by_path(a, citus_paths, distributed) for a in answers(distributed, queries)]
        assert got == expected
        assert all(len(a) == 10 for a in expected[2:30:5])  # a 1-in-8 folder still fills 10
        assert distributed.stats().images == IMAGES == single.stats().images
    finally:
        single.close()


@pytest.fixture(scope="module")
def own_cluster(citus_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A cluster of this module's own (two workers), for tests that stop, add and
    rebalance nodes; ``citus_cluster`` first, so Citus is known to be there."""
    from imgsearch.store.postgres.local_cluster import start_cluster, stop_cluster

    folder = tmp_path_factory.mktemp("citus-ops") / "cluster"
    yield start_cluster(folder, workers=2)
    stop_cluster(folder)


def test_a_worker_down_fails_searches_fast_naming_it_and_they_work_when_it_returns(
    own_cluster: Any,
) -> None:
    from imgsearch.store.postgres.local_cluster import start_node, stop_node

    store = PostgresStore(collection(own_cluster.url, "worker-down"), hnsw_threshold=100)
    try:
        fill(store)
        query = clustered(1, seed=42)[0]
        expected = store.nearest(query, 10)
        down = own_cluster.workers[1]
        stop_node(own_cluster, down)
        try:
            started = time.monotonic()
            for search in (
                lambda: store.nearest(query, 10),
                lambda: store.metadata_matches("harbour", 10),
                lambda: store.regions.nearest(query, 5),
            ):
                with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{down}"):
                    search()
            assert time.monotonic() - started < 15
        finally:
            start_node(own_cluster, down)
        assert store.nearest(query, 10) == expected
    finally:
        store.close()


def test_a_worker_added_and_shards_rebalanced_while_searches_run(own_cluster: Any) -> None:
    from imgsearch.store.postgres.local_cluster import add_worker

    store = PostgresStore(collection(own_cluster.url, "rebalance"), hnsw_threshold=100)
    try:
        fill(store)
        queries = clustered(4, seed=77)
        expected = [answers(store, queries[n : n + 1]) for n in range(4)]
        grown = add_worker(own_cluster.folder)
        new = grown.workers[-1]
        done = threading.Event()
        outcome: list[str] = []

        def rebalance() -> None:
            try:
                moved = imgsearch("db", "rebalance", "--store", own_cluster.url, process=True)
                outcome.append(moved.stdout if moved.returncode == 0 else moved.stderr)
            finally:
                done.set()

        mover = threading.Thread(target=rebalance)
        mover.start()
        searches, wrong = 0, 0
        while not done.is_set():
            n = searches % 4
            wrong += answers(store, queries[n : n + 1]) != expected[n]
            searches += 1
        mover.join()
        assert outcome and outcome[0].startswith("moved "), outcome
        assert int(outcome[0].split()[1]) > 0
        assert searches >= 3 and wrong == 0
        spread = rows(
            own_cluster.url,
            "SELECT nodeport, count(*) FROM citus_shards "
            "WHERE table_name = 'imgsearch_images'::regclass GROUP BY 1",
        )
        assert {port for port, _ in spread} == set(grown.workers)
        # two shards per worker when distributed: 4 over 3 workers now, as even as it gets
        assert dict(spread)[new] >= 1 and sorted(count for _, count in spread) == [1, 1, 2]
        for n in range(4):  # and after: still the same answers
            assert answers(store, queries[n : n + 1]) == expected[n]
    finally:
        store.close()


def test_an_existing_database_is_distributed_in_place(own_cluster: Any, postgres_url: str) -> None:
    """A plain PostgreSQL database with collections in it, on a server that then gets
    Citus: ``imgsearch db distribute`` moves its rows into shards, nothing changes."""
    database = "converted"
    for port in own_cluster.ports:
        with psycopg.connect(own_cluster.node_url(port), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {database}")
            connection.execute(f"CREATE DATABASE {database}")
    base = own_cluster.url.rsplit("/", 1)[0] + f"/{database}"
    store = PostgresStore(collection(base, "old"), hnsw_threshold=100)  # no Citus yet
    try:
        ids = fill(store, count=200)
        queries = clustered(3, seed=11)
        expected = answers(store, queries)
    finally:
        store.close()
    assert rows(base, "SELECT count(*) FROM pg_extension WHERE extname = 'citus'") == [(0,)]
    for port in own_cluster.ports:  # now Citus arrives, in this database on every node
        node = own_cluster.node_url(port).rsplit("/", 1)[0] + f"/{database}"
        rows(node, "CREATE EXTENSION citus")
        rows(node, "CREATE EXTENSION IF NOT EXISTS vector")
    rows(base, "SELECT citus_set_coordinator_host('127.0.0.1', %s)", (own_cluster.coordinator,))
    for port in own_cluster.workers:
        rows(base, "SELECT citus_add_node('127.0.0.1', %s)", (port,))
    # the store still works on its local tables: nothing is converted behind its back
    reopened = PostgresStore(collection(base, "old"), hnsw_threshold=100)
    try:
        assert answers(reopened, queries) == expected
    finally:
        reopened.close()

    done = imgsearch("db", "distribute", "--store", base, "--shards", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("distributed: 200 images")
    placed = rows(
        base,
        "SELECT table_name::text, count(*), array_agg(DISTINCT nodeport) FROM citus_shards "
        "WHERE table_name::text LIKE 'imgsearch%' GROUP BY 1",
    )
    assert len(placed) == 5 and {count for _, count, _ in placed} == {3}
    assert all(set(ports) == set(own_cluster.workers) for *_, ports in placed)
    again = imgsearch("db", "distribute", "--store", base)  # idempotent
    assert again.returncode == 0 and again.stdout.startswith("distributed: 200 images")
    other = imgsearch("db", "distribute", "--store", base, "--shards", "8")
    assert other.returncode != 0 and "already distributed in 3 shards" in other.stderr
    converted = PostgresStore(collection(base, "old"), hnsw_threshold=100)
    try:
        assert answers(converted, queries) == expected
        assert sorted(r.id for r in converted.get(ids)) == sorted(ids)
        more = converted.write(WriteBatch(images=[ImageWrite(facts("/share/new.jpg"), queries[0])]))
        assert converted.nearest(queries[0], 1)[0][0] == more[0]
    finally:
        converted.close()
    plain = imgsearch("db", "distribute", "--store", postgres_url)
    assert plain.returncode != 0 and "no Citus extension" in plain.stderr
