"""Regions: what grid patches cost at indexing, and search over images + regions at scale.

Part 1, indexing cost: ``--photos`` synthetic 12 MP JPEGs (bench/embed.py's) indexed with
the ViT-B/32 architecture (random weights cost what trained ones do) whole images only,
then the grid pass at levels 2 and at levels 2,3 on copies of that index: images/s and
the factor against whole-only, measured in the same run.

Part 2, search: an embedded index of ``--images`` clustered 512-d image vectors with
``--per-image`` region vectors each (clustered the same way), written through the store; 200 queries for the top 10 images by their best vector (whole or region,
``imgsearch.query.matching``), exact and through the HNSW graphs: p50/p99 ms, recall@10 of the
image ids against the exact answer, and the memory of both vector indexes.

    python bench/regions.py [--photos 16] [--images 100000] [--per-image 10]

Targets (issue 15), 2 cores: HNSW p50 ≤ 5 ms with recall@10 ≥ 0.95 at 1.1M vectors;
RAM for vectors ≤ 1.5 GB.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py would shadow the standard library's `http`: look in this folder last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import shutil
import tempfile
import time

import numpy as np

from embed import model_folder, synthetic_jpegs
from imgsearch import Embedder, Index
from imgsearch.query.matching import nearest_images
from imgsearch.store import (
    Box,
    ImageFacts,
    ImageWrite,
    IndexSettings,
    Region,
    RegionSet,
    SqliteStore,
    WriteBatch,
)
from search import DIM, clustered, latencies


def indexing_cost(photos: int) -> list[tuple[str, float, float, int]]:
    _, exported = model_folder()
    embedder = Embedder(exported, batch_size=16)
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-regions-"))
    images = folder / "photos"
    images.mkdir()
    for path in synthetic_jpegs(photos):
        shutil.copyfile(path, images / path.name)
    rows = []
    try:
        started = time.perf_counter()
        with Index.open(folder / "whole", encoder=embedder) as index:
            index.update([images])
        whole = time.perf_counter() - started
        rows.append(("whole images", photos / whole, 1.0, 0))
        for levels in ((2,), (2, 3)):
            copy = folder / f"grid-{'-'.join(map(str, levels))}"
            shutil.copytree(folder / "whole", copy)
            with Index.open(copy, encoder=embedder) as index:
                started = time.perf_counter()
                report = index.add_grid_regions([images], levels=levels)
                seconds = whole + time.perf_counter() - started
            label = f"+ grid levels {','.join(map(str, levels))}"
            rows.append((label, photos / seconds, seconds / whole, report.regions))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def fill(store: SqliteStore, images: int, per_image: int) -> None:
    """Images and their regions, written as an index run writes them (2,000 per batch)."""
    store.bind(IndexSettings("bench", DIM))
    image_vectors = clustered(images, seed=4)
    rng = np.random.default_rng(9)
    for start in range(0, images, 2_000):
        stop = min(images, start + 2_000)
        batch = WriteBatch()
        for n in range(start, stop):
            batch.images.append(
                ImageWrite(
                    ImageFacts(f"/bench/{n // 1000:03}/{n:06}.jpg", 1, 1, f"d{n}"), image_vectors[n]
                )
            )
        block = clustered((stop - start) * per_image, seed=int(rng.integers(1 << 30)))
        for n in range(start, stop):
            rows = block[(n - start) * per_image : (n - start + 1) * per_image]
            group = [(Region("grid", box=Box(0, 0, 1, 1)), v) for v in rows]
            batch.regions.append(RegionSet("grid", group, image_index=n - start))
        store.write(batch)


def search_at_scale(
    images: int, per_image: int, queries: int
) -> list[tuple[str, float, float, float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-regions-search-"))
    try:
        store = SqliteStore(folder)
        fill(store, images, per_image)
        query_vectors = clustered(queries, seed=77)
        started = time.perf_counter()
        store.vector_index()
        store.regions.nearest(query_vectors[0], 1)  # both graphs built (or loaded)
        build = time.perf_counter() - started
        memory = store.vector_index().memory_bytes() + store._current(store._regions).memory_bytes()
        exact = [
            [m.image_id for m in nearest_images(store, q, 10, exact=True)] for q in query_vectors
        ]
        rows = []
        for label, is_exact in (("exact", True), ("hnsw", False)):
            found: list[list[int]] = []

            def run(q: int, is_exact: bool = is_exact, found: list[list[int]] = found) -> None:
                hits = nearest_images(store, query_vectors[max(q, 0)], 10, exact=is_exact)
                if q >= 0:
                    found.append([m.image_id for m in hits])

            p50, p99 = latencies(run, queries)
            recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
            rows.append((label, p50, p99, float(recall), memory / 2**20))
        store.close()
        print(f"graphs built/caught up in {build:.0f} s", file=sys.stderr)
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--per-image", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    options = parser.parse_args()
    if options.photos > 0:  # --photos 0: the search part only
        cost = indexing_cost(options.photos)
        print(
            f"\nIndexing {options.photos} synthetic 12 MP JPEGs, ViT-B/32 (random weights), fp32\n"
        )
        print("| run | images/s | time vs whole-only | windows kept |\n|---|---|---|---|")
        for label, rate, factor, kept in cost:
            print(f"| {label} | {rate:.2f} | {factor:.1f}× | {kept} |")
    rows = search_at_scale(options.images, options.per_image, options.queries)
    total = options.images * (1 + options.per_image)
    print(
        f"\n{options.images:,} images × (1 + {options.per_image}) = {total:,} vectors, top 10 images\n"
    )
    print("| path | p50 ms | p99 ms | recall@10 | vector indexes MiB |\n|---|---|---|---|---|")
    for label, p50, p99, recall, mib in rows:
        print(f"| {label} | {p50:.2f} | {p99:.2f} | {recall:.3f} | {mib:,.0f} |")


if __name__ == "__main__":
    main()
