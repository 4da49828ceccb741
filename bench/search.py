"""Vector search latency, recall and memory at 10k / 100k / 1M clustered 512-d vectors.

Vectors: unit vectors around 1,000 cluster centres with per-cluster spread
(embeddings of real collections are clustered, not uniform on the sphere);
queries drawn from the same distribution. For each size: the exact path
(NumPy matrix–vector product) and the HNSW path (FAISS, float16 storage), both
through imgsearch's ``VectorIndex``; unfiltered and filtered queries (a 10%
filter answered through the graph, a 0.5% filter answered by an exact scan of
the allowed rows). Recall@10 is measured against brute force over the same
vectors (and the same filter). Then an end-to-end text query at 100k through
``Index.search``: text encoder (ViT-B/32 architecture, random weights) + search
+ reading the hits from SQLite; and the same query repeated (cached encoding).

    python bench/search.py [--sizes 10000,100000,1000000] [--queries 200]

Targets (issue 3): exact ≤ 5 ms at 100k; HNSW at 1M recall@10 ≥ 0.95 at ≤ 2 ms;
vectors for 1M images ≤ 1.2 GB; text query at 100k p50 ≤ 30 ms, repeated ≤ 5 ms.
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
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from imgsearch import Embedder

from imgsearch.store.sqlite.vector_index import HnswParams, VectorIndex

DIM = 512


def clustered(count: int, seed: int, clusters: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).standard_normal((clusters, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        which = rng.integers(0, clusters, n)
        spread = rng.uniform(0.04, 0.08, n).astype(np.float32)[:, None]
        block = centres[which] + spread * rng.standard_normal((n, DIM), dtype=np.float32)
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))]


def latencies(fn: Callable[[int], object], queries: int) -> tuple[float, float]:
    """p50 and p99 ms of ``fn(0) … fn(queries - 1)``, after a warm-up call ``fn(-1)``: an
    item none of the timed calls uses, so the warm-up leaves no cache hit behind."""
    fn(-1)
    samples = []
    for q in range(queries):
        start = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def truth(vectors: np.ndarray, rows: np.ndarray | None, query: np.ndarray) -> set[int]:
    subset = vectors if rows is None else vectors[rows]
    scores = subset @ query
    top = np.argpartition(-scores, 9)[:10]
    ids = top if rows is None else rows[top]
    return {int(i) + 1 for i in ids}


def measure(size: int, queries: int, rows: list[list[str]]) -> None:
    vectors = clustered(size, seed=1)
    probe = clustered(queries, seed=2)
    ids = np.arange(1, size + 1, dtype=np.int64)
    rng = np.random.default_rng(3)
    filters = {
        "none": None,
        "10%": np.sort(rng.choice(size, size // 10, replace=False)),
        "0.5%": np.sort(rng.choice(size, max(size // 200, 10), replace=False)),
    }
    truths = {name: [truth(vectors, f, q) for q in probe] for name, f in filters.items()}

    for mode in ("exact", "hnsw"):
        threshold = size + 1 if mode == "exact" else 0
        index = VectorIndex(DIM, hnsw_threshold=threshold, hnsw=HnswParams())
        start = time.perf_counter()
        index.upsert(ids[:1], vectors[:1])  # a graph exists from the first vector on
        for chunk in range(1, size, 50_000):
            index.upsert(ids[chunk : chunk + 50_000], vectors[chunk : chunk + 50_000])
        build = time.perf_counter() - start
        for name, (p50, p99, recall) in time_filters(index, probe, ids, filters, truths).items():
            rows.append([
                f"{size:,}", mode, name, f"{p50:.2f}", f"{p99:.2f}", f"{recall:.3f}",
                f"{index.memory_bytes() / 2**20:,.0f}", f"{build:.0f}" if name == "none" else "",
            ])  # fmt: skip
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)


def time_filters(
    index: VectorIndex,
    probe: np.ndarray,
    ids: np.ndarray,
    filters: dict[str, np.ndarray | None],
    truths: dict[str, list[set[int]]],
) -> dict[str, tuple[float, float, float]]:
    results = {}
    for name, rows_allowed in filters.items():
        allowed = None if rows_allowed is None else ids[rows_allowed]
        found: dict[int, set[int]] = {}

        def one(
            q: int, allowed: np.ndarray | None = allowed, found: dict[int, set[int]] = found
        ) -> None:
            result, _ = index.search(probe[q], 10, allowed=allowed)
            found[q] = {int(i) for i in result}

        p50, p99 = latencies(one, len(probe))
        recall = float(np.mean([len(found[q] & truths[name][q]) / 10 for q in range(len(probe))]))
        results[name] = (p50, p99, recall)
    return results


def fill_index(folder: Path, embedder: Embedder, size: int) -> None:
    """An embedded index at ``folder`` holding ``size`` clustered vectors for ``embedder``'s model."""
    from imgsearch import Index
    from imgsearch.store import ImageFacts, ImageWrite, IndexSettings, WriteBatch

    vectors = clustered(size, seed=4)
    with Index.open(folder, encoder=embedder) as index:
        index.store.bind(IndexSettings(embedder.model_id, embedder.dim))
        for start in range(0, size, 10_000):
            images = [
                ImageWrite(
                    ImageFacts(f"/bench/{i // 1000:03}/img_{i:06}.jpg", 1, 1, f"d{i}"), vectors[i]
                )
                for i in range(start, min(size, start + 10_000))
            ]
            index.store.write(WriteBatch(images=images))


def end_to_end(rows: list[list[str]], queries: int) -> None:
    from embed import model_folder, query_text
    from imgsearch import Embedder, Index

    _, exported = model_folder()
    embedder = Embedder(exported)
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-search-"))
    try:
        fill_index(folder, embedder, 100_000)
        with Index.open(folder, encoder=embedder) as index:
            index.search("warm up", top=10)  # loads the vector index
            fresh = [query_text(q) for q in range(queries + 1)]
            p50, p99 = latencies(lambda q: index.search(fresh[q], top=10), queries)
            rows.append(
                [
                    "100,000",
                    "text query",
                    "encode + search + read",
                    f"{p50:.2f}",
                    f"{p99:.2f}",
                    "",
                    "",
                    "",
                ]
            )
            p50, p99 = latencies(lambda q: index.search(query_text(0), top=10), queries)
            rows.append(
                [
                    "100,000",
                    "repeated text query",
                    "cached encoding",
                    f"{p50:.2f}",
                    f"{p99:.2f}",
                    "",
                    "",
                    "",
                ]
            )
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-text", action="store_true")
    args = parser.parse_args()
    rows: list[list[str]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size, args.queries, rows)
    if not args.skip_text:
        end_to_end(rows, min(args.queries, 100))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    params = HnswParams()
    print(f"HNSW m={params.m}, ef_construction={params.ef_construction}, ef_search={params.ef_search}; "
          f"peak RSS of this process {peak:,.0f} MiB\n")  # fmt: skip
    print("| vectors | path | filter | p50 ms | p99 ms | recall@10 | index MiB | build s |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
