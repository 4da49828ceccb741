"""The PostgreSQL store on one server vs on a Citus cluster (coordinator + 2 workers).

Both on this machine, from the same PostgreSQL 15 with pgvector 0.8.1 (the single server
is a database without the Citus extension on the cluster's coordinator instance): the
same clustered 512-d vectors written through ``Store.write`` (batches of 1,000, one
transaction each; the HNSW graph built once after the load, as the store does when a
collection reaches its threshold), then queries for the top 10 — unfiltered, under a
10% and a 1% folder filter — with p50/p99 latency and recall@10 against brute force.
The cluster's workers share this machine's CPUs with the coordinator and each other:
it shows the overhead of distribution here, not the scaling of real machines. Every
node gets ``shared_buffers = 2GB`` (the development cluster's default is PostgreSQL's
128 MB), as a server holding a million vectors would be configured.

The store sizes its HNSW beam to each graph (``auto_ef_search``); the recall/latency
trade-off at fixed beams (a store URL's ``ef_search``) is measured too. The cluster is
made once per ``--shards`` count (each shard is a graph every query walks; the store's
default is two per worker, the best here is about the cores across the workers).

Also measured, for the projection to larger clusters (docs/scaling.md): a query on one
shard alone (straight on its worker), and ingest of precomputed vectors into the
cluster by one writer and by two writers in parallel, each taking its ``--part``.

    python bench/citus.py [--vectors 1000000] [--queries 200] [--part-vectors 100000]
                          [--shards 2] [--setups both|postgresql|citus]

Target (issue 17): recall@10 ≥ 0.95 at p50 ≤ 20 ms at 1M on the 2-worker cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import multiprocessing
import shutil
import statistics
import tempfile
import time
from typing import Any

import numpy as np
import psycopg

from imgsearch.indexer.parts import Part
from imgsearch.store import Filters, ImageFacts, ImageWrite, IndexSettings, WriteBatch
from imgsearch.store.postgres import PostgresStore
from imgsearch.store.postgres.local_cluster import start_cluster, stop_cluster
from imgsearch.store.postgres.search import GraphKind, auto_ef_search
from search import DIM, clustered

FOLDERS = 100  # /bench/NN/: 1% of the vectors each
BATCH = 1000
SHARED_BUFFERS = "2GB"
FIXED_BEAMS = (40, 100, 200, 400)


def path_of(i: int) -> str:
    return f"/bench/{i % FOLDERS:02}/img_{i:07}.jpg"


def write(url: str, vectors: np.ndarray, numbers: np.ndarray, threshold: int) -> float:
    """Write vectors ``numbers`` into the store at ``url``; seconds taken."""
    store = PostgresStore(url, hnsw_threshold=threshold)
    store.bind(IndexSettings("bench", DIM))
    began = time.perf_counter()
    for start in range(0, len(numbers), BATCH):
        chunk = numbers[start : start + BATCH]
        images = [
            ImageWrite(ImageFacts(path_of(int(i)), 1, 1, f"d{int(i)}"), vectors[int(i)])
            for i in chunk
        ]
        store.write(WriteBatch(images=images))
        if start // BATCH % 100 == 0:
            print(f"  {start + len(chunk):,} written", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - began
    store.close()
    return seconds


def load(url: str, vectors: np.ndarray) -> tuple[float, float]:
    """Ingest everything (the graph is built by the write that reaches the threshold,
    the last one); (vectors per second before it, seconds of that last write's build)."""
    count = len(vectors)
    numbers = np.arange(count)
    bulk = write(url, vectors, numbers[: count - BATCH], threshold=count)
    last = write(url, vectors, numbers[count - BATCH :], threshold=count)
    return (count - BATCH) / bulk, last - bulk / ((count - BATCH) / BATCH)


def searches(
    store: PostgresStore, vectors: np.ndarray, probes: np.ndarray, folders: int
) -> tuple[float, float, float]:
    """p50 ms, p99 ms and mean recall@10 for ``probes`` under a filter of ``folders``
    folders (0: none)."""
    filters = Filters(under=tuple(f"/bench/{n:02}" for n in range(folders)))
    rows = None if folders == 0 else np.flatnonzero(np.arange(len(vectors)) % FOLDERS < folders)
    subset = vectors if rows is None else vectors[rows]
    # The true neighbours first: a brute-force product between timed queries leaves
    # NumPy's BLAS threads spinning on both cores for a while, which the next query then
    # competed with (measured: 11.9 ms → 15.2 ms at 1M with 2 shards).
    truths = []
    for probe in probes:
        best = np.argpartition(-(subset @ probe), 10)[:10]
        truths.append({int(i) for i in (best if rows is None else rows[best])})
    time.sleep(0.5)
    store.nearest(probes[0], 10, filters)  # warm
    samples, answers = [], []
    for probe in probes:
        began = time.perf_counter()
        hits = store.nearest(probe, 10, filters)
        samples.append((time.perf_counter() - began) * 1000)
        answers.append([image_id for image_id, _ in hits])
    number_of = {
        record.id: int(record.path.rsplit("_", 1)[1].split(".")[0])
        for record in store.get(sorted({i for hits in answers for i in hits}))
    }
    recalls = [
        len({number_of[i] for i in hits} & truth) / 10
        for hits, truth in zip(answers, truths, strict=True)
    ]
    samples.sort()
    return (
        statistics.median(samples),
        samples[int(0.99 * (len(samples) - 1))],
        float(np.mean(recalls)),
    )


def one_shard(cluster: Any, probes: np.ndarray, kind: GraphKind) -> tuple[int, float]:
    """Rows in one shard of the images table and the p50 ms of the same HNSW query run
    straight on that shard (a graph of ``kind``), on its worker (what each worker does
    per shard)."""
    with psycopg.connect(cluster.url, autocommit=True) as coordinator:
        shard, port = coordinator.execute(
            "SELECT shard_name, nodeport FROM citus_shards "
            "WHERE table_name = 'imgsearch_images'::regclass ORDER BY shardid LIMIT 1"
        ).fetchone()
    with psycopg.connect(cluster.node_url(port), autocommit=True) as worker:
        rows, collection_id = worker.execute(
            f"SELECT count(*), min(collection_id) FROM {shard}"
        ).fetchone()
        samples = []
        for probe in probes:
            began = time.perf_counter()
            with worker.transaction():
                worker.execute(f"SET LOCAL hnsw.ef_search = {auto_ef_search(int(rows))}")
                worker.execute("SET LOCAL enable_sort = off")
                worker.execute("SET LOCAL enable_seqscan = off")
                worker.execute(
                    f"SELECT id, vector FROM {shard} WHERE collection_id = {collection_id} "
                    f"AND vector_dims(vector) = {DIM} ORDER BY {kind.distance('vector', DIM)} "
                    "LIMIT 26",
                    (str(probe.tolist()),),
                    binary=True,
                ).fetchall()
            samples.append((time.perf_counter() - began) * 1000)
    return int(rows), statistics.median(samples)


def _part_writer(url: str, vectors: np.ndarray, part: int, parts: int, out: Any) -> None:
    owns = Part(part, parts).owns
    numbers = np.asarray([i for i in range(len(vectors)) if owns(path_of(i)[1:])], dtype=np.int64)
    out.put(write(url, vectors, numbers, threshold=10**9))


def parts_ingest(url: str, vectors: np.ndarray, parts: int) -> float:
    """Vectors per second written by ``parts`` writer processes in parallel, each its part."""
    context = multiprocessing.get_context("fork")
    results: Any = context.Queue()
    began = time.perf_counter()
    writers = [
        context.Process(target=_part_writer, args=(url, vectors, n, parts, results))
        for n in range(parts)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    seconds = time.perf_counter() - began
    assert all(w.exitcode == 0 for w in writers)
    return len(vectors) / seconds


def start(folder: Path, shards: int) -> Any:
    """A fresh 2-worker cluster in ``folder`` whose database distributes into ``shards``."""
    stop_cluster(folder)
    shutil.rmtree(folder, ignore_errors=True)
    cluster = start_cluster(folder, workers=2)
    for port in cluster.ports:  # each node caches its part of the data (default: 128 MB)
        with psycopg.connect(cluster.node_url(port), autocommit=True) as node:
            node.execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
    stop_cluster(folder)
    cluster = start_cluster(folder, workers=2)
    with psycopg.connect(cluster.url, autocommit=True) as admin:
        database = cluster.url.rsplit("/", 1)[1]
        admin.execute(f"ALTER DATABASE {database} SET citus.shard_count = {int(shards)}")
        admin.execute("CREATE DATABASE single")  # no Citus extension: plain PostgreSQL
    return cluster


def measure(
    name: str, url: str, vectors: np.ndarray, probes: np.ndarray, fixed: list[tuple[Any, ...]]
) -> tuple[Any, ...]:
    """Ingest into ``url`` and query it: the table's row; appends beam rows to ``fixed``."""
    print(f"{name}: ingest", file=sys.stderr, flush=True)
    rate, build = load(url, vectors)
    store = PostgresStore(url, hnsw_threshold=len(vectors))
    row: list[Any] = [name, rate, build]
    for folders in (0, 10, 1):
        row += searches(store, vectors, probes, folders)
        print(f"  {name} {folders}%: {row[-3:]}", file=sys.stderr, flush=True)
    row.append(store.stats().bytes_on_disk / 2**20)
    store.close()
    for beam in FIXED_BEAMS:
        fixed_store = PostgresStore(url, hnsw_threshold=len(vectors), hnsw_ef_search=beam)
        fixed.append((name, beam, *searches(fixed_store, vectors, probes, 0)))
        fixed_store.close()
    return tuple(row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--part-vectors", type=int, default=100_000)
    parser.add_argument(
        "--shards", default="4", help="shards per table, or several: 32,4,2 (one cluster each)"
    )
    parser.add_argument(
        "--setups", choices=["both", "postgresql", "citus"], default="both", help="which to run"
    )
    args = parser.parse_args()
    shard_counts = [int(n) for n in args.shards.split(",")]
    vectors = clustered(args.vectors, seed=1)
    rng = np.random.default_rng(2)
    probes = vectors[rng.choice(len(vectors), args.queries, replace=False)]
    probes = probes + 0.03 * rng.standard_normal(probes.shape).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    work = Path(tempfile.mkdtemp(prefix="imgsearch-bench-citus-"))
    folder = work / "cluster"
    table: list[tuple[Any, ...]] = []
    fixed: list[tuple[Any, ...]] = []
    notes: list[str] = []
    try:
        cluster = start(folder, shard_counts[0])
        base = cluster.url.rsplit("/", 1)[0]
        if args.setups in ("both", "postgresql"):
            url = f"{base}/single?collection=bench"
            table.append(measure("PostgreSQL 15 single server", url, vectors, probes, fixed))
        for number, shards in enumerate(shard_counts if args.setups != "postgresql" else []):
            if number:
                cluster = start(folder, shards)
            name = f"Citus, coordinator + 2 workers, {shards} shards"
            url = f"{cluster.url}?collection=bench"
            table.append(measure(name, url, vectors, probes, fixed))
            with PostgresStore(url) as store:
                kind = store._images.kind
            rows, p50 = one_shard(cluster, probes[:100], kind)
            notes.append(
                f"{shards} shards: one shard of the images table holds {rows:,} rows; the "
                f"same HNSW query straight on it, on its worker (beam "
                f"{auto_ef_search(rows)}): p50 {p50:.2f} ms"
            )
        part_vectors = vectors[: args.part_vectors]
        for parts in (1, 2):
            url = f"{cluster.url}?collection=parts{parts}"
            rate = parts_ingest(url, part_vectors, parts)
            notes.append(
                f"ingest into the cluster (no graph yet) of {len(part_vectors):,} precomputed vectors by {parts} writer(s) in parallel (--part n/{parts} each): {rate:,.0f} vectors/s"
            )
    finally:
        stop_cluster(folder)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{args.vectors:,} clustered {DIM}-d vectors, {args.queries} queries, top 10, the store's beam\n"
    )
    print("| setup | ingest vectors/s | graph build s | p50 ms | p99 ms | recall@10 | 10% filter p50 | p99 | recall@10 | 1% filter p50 | p99 | recall@10 | MiB on disk |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rate, build, *cells, size in table:
        numbers = " | ".join(f"{c:.3f}" if n % 3 == 2 else f"{c:.2f}" for n, c in enumerate(cells))
        print(f"| {name} | {rate:,.0f} | {build:.1f} | {numbers} | {size:,.0f} |")
    print("\nFixed beams (a store URL's ef_search), unfiltered:\n")
    print("| setup | ef_search | p50 ms | p99 ms | recall@10 |")
    print("|---|---:|---:|---:|---:|")
    for name, beam, p50, p99, recall in fixed:
        print(f"| {name} | {beam} | {p50:.2f} | {p99:.2f} | {recall:.3f} |")
    print()
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
