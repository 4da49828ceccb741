"""PostgreSQL + pgvector store vs the embedded store on the same 512-d clustered vectors.

For each store: ingest rate through ``Store.write`` (batches of 1,000, one
transaction each), the time to build the vector index (pgvector's HNSW: the
index exists from the start, so its build cost is inside the ingest; the
embedded store builds its FAISS graph on first search), and query latency p50
/ p99 and recall@10 against brute force, unfiltered and with a 1% folder filter.
The PostgreSQL server is the local one (``pgserver``, PostgreSQL 16, pgvector
0.6), on the same 2 CPUs as this script.

    python bench/pgvector.py [--size 100000] [--queries 200] [--ef-search 100]

Target (issue 6): recall@10 ≥ 0.95 with p50 ≤ 5 ms at 100k.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py and bench/pgvector.py carry the names their issues give them, which would
# shadow the standard library's `http` and the pgvector package for every import made by
# a script run from this folder: look in this folder last, after everything installed.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import shutil
import statistics
import tempfile
import time

import numpy as np

from imgsearch.store import Filters, ImageFacts, ImageWrite, IndexSettings, SqliteStore, WriteBatch
from imgsearch.store.postgres import PostgresStore
from imgsearch.store.postgres.local_server import start_server
from search import DIM, clustered


def ingest(store: object, vectors: np.ndarray) -> float:
    started = time.perf_counter()
    for start in range(0, len(vectors), 1000):
        images = [
            ImageWrite(
                ImageFacts(f"/bench/{i // 1000:03}/img_{i:07}.jpg", 1, 1, f"d{i}"), vectors[i]
            )
            for i in range(start, min(len(vectors), start + 1000))
        ]
        store.write(WriteBatch(images=images))  # type: ignore[attr-defined]
    return time.perf_counter() - started


def query(
    store: object,
    vectors: np.ndarray,
    probes: np.ndarray,
    filters: Filters,
    rows: np.ndarray | None,
) -> tuple[float, float, float]:
    ids_by_path: dict[str, int] = {}
    store.nearest(probes[0], 10, filters)  # type: ignore[attr-defined]
    samples, recalls = [], []
    for probe in probes:
        began = time.perf_counter()
        hits = store.nearest(probe, 10, filters)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - began) * 1000)
        subset = vectors if rows is None else vectors[rows]
        best = np.argsort(-(subset @ probe), kind="stable")[:10]
        truth = {int(i) for i in (best if rows is None else rows[best])}
        found = set()
        for image_id, _ in hits:
            if image_id not in ids_by_path:
                record = store.get([image_id])[0]  # type: ignore[attr-defined]
                ids_by_path[image_id] = int(record.path.rsplit("_", 1)[1].split(".")[0])
            found.add(ids_by_path[image_id])
        recalls.append(len(found & truth) / 10)
    samples.sort()
    return (
        statistics.median(samples),
        samples[int(0.99 * (len(samples) - 1))],
        float(np.mean(recalls)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    vectors = clustered(args.size, seed=1)
    probes = clustered(args.queries, seed=2)
    beach = np.arange(0, args.size, dtype=np.int64)[
        np.arange(args.size) // 1000 == 7
    ]  # folder 007: 1%
    work = Path(tempfile.mkdtemp(prefix="imgsearch-bench-pg-"))
    rows = []
    try:
        server = start_server(work / "pg")
        stores = {
            "embedded (SQLite + FAISS HNSW)": SqliteStore(work / "lite"),
            "PostgreSQL + pgvector HNSW": PostgresStore(f"{server.url}&collection=bench"),
        }
        for name, store in stores.items():
            store.bind(IndexSettings("bench", DIM))
            seconds = ingest(store, vectors)
            began = time.perf_counter()
            store.nearest(probes[0], 10)  # the embedded store builds its graph here
            build = time.perf_counter() - began
            p50, p99, recall = query(store, vectors, probes, Filters(), None)
            f50, f99, frecall = query(store, vectors, probes, Filters(under=("/bench/007",)), beach)
            size_mb = 0.0
            if isinstance(store, PostgresStore):
                size_mb = store._rows(  # tables with all their indexes, as PostgreSQL holds them
                    "SELECT (pg_total_relation_size('imgsearch_images') "
                    "+ pg_total_relation_size('imgsearch_terms')) / 1048576.0"
                )[0][0]
                index_mb = store._rows(
                    "SELECT coalesce(pg_relation_size(to_regclass(%s)), 0) / 1048576.0",
                    (store._images.name,),
                )[0][0]
                print(
                    f"pgvector HNSW index {index_mb:.0f} MiB; tables with indexes {size_mb:.0f} MiB",
                    file=sys.stderr,
                )
            rows.append((name, args.size / seconds, build, p50, p99, recall, f50, f99, frecall))
            print(f"{name}: {rows[-1]}", file=sys.stderr, flush=True)
            store.close()
        server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.size:,} clustered {DIM}-d vectors, {args.queries} queries, top 10\n")
    print("| store | ingest vectors/s | index build s (after ingest) | p50 ms | p99 ms | recall@10 | 1% filter p50 ms | p99 ms | recall@10 |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rate, build, p50, p99, recall, f50, f99, frecall in rows:
        print(f"| {name} | {rate:,.0f} | {build:.1f} | {p50:.2f} | {p99:.2f} | {recall:.3f} | {f50:.2f} | {f99:.2f} | {frecall:.3f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
