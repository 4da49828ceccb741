"""Browsing without a query: what a page of the collection (newest first, oldest first,
by path; the first page and one deep in it) and its counts (facets) cost, as the
collection grows.

An embedded (SQLite) index of ``--sizes`` items is written directly (random 512-d unit
vectors, paths in 20 folders of 5 subfolders, capture times over five years, a tag on
one item in ten, a labelled box on one in twenty). Reference: one exact text-vector
search on the same index in the same run (``Store.nearest``, the scan a typed query pays
before ranking), so the ratios say what browsing costs next to searching.

    python bench/browse.py [--sizes 10000 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import numpy as np

from imgsearch.store import (
    Filters,
    ImageFacts,
    ImageWrite,
    IndexSettings,
    Region,
    RegionSet,
    SqliteStore,
    WriteBatch,
)
from imgsearch.types import Box

DIM = 512
BATCH = 5_000
START = 1_500_000_000.0  # 2017-07-14
SPAN = 5 * 365 * 86_400.0


def fill(store: SqliteStore, size: int, rng: np.random.Generator) -> None:
    store.bind(IndexSettings("bench-random", DIM))
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        vectors = rng.standard_normal((count, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        taken = START + rng.random(count) * SPAN
        images, regions = [], []
        for n in range(count):
            number = start + n
            path = f"/photos/f{number % 20:02d}/s{number % 5}/IMG_{number:07d}.jpg"
            facts = ImageFacts(path, 1000, int(taken[n] * 1e9), f"d{number}", 640, 480,
                               "JPEG", captured_at=float(taken[n]))  # fmt: skip
            images.append(ImageWrite(facts, vectors[n]))
            if number % 20 == 0:
                box = Region("annotation", box=Box(1, 1, 50, 50), label=f"label{number % 7}")
                regions.append(RegionSet("annotation", [(box, vectors[n])], image_index=n))
        ids = store.write(WriteBatch(images=images, regions=regions))
        for n, image_id in enumerate(ids):
            if (start + n) % 10 == 0:
                store.annotate(image_id, caption=None, tags=[f"tag{(start + n) % 13}"])


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm: the page cache and SQLite's
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(
    store: SqliteStore, query: np.ndarray, repeat: int
) -> tuple[float, list[tuple[str, float]]]:
    """The reference search's median and each browsing case's, in milliseconds."""
    search = median_ms(lambda: store.nearest(query, 50, exact=True), repeat)
    folder = Filters(under=("/photos/f03",))
    cases: list[tuple[str, Callable[[], object]]] = [
        ("first page, newest first", lambda: store.browse(Filters(), [], "newest", 50, 0)),
        ("page at offset 5,000, newest", lambda: store.browse(Filters(), [], "newest", 50, 5000)),
        ("first page, by path", lambda: store.browse(Filters(), [], "path", 50, 0)),
        ("first page, one folder", lambda: store.browse(folder, [], "newest", 50, 0)),
        ("first page, one tag", lambda: store.browse(Filters(tags=("tag3",)), [], "newest", 50, 0)),
        ("facets, whole collection", lambda: store.facets(Filters(), [], "/photos", 0.0)),
        ("facets, one folder", lambda: store.facets(folder, [], "/photos/f03", 0.0)),
    ]
    return search, [(name, median_ms(run, repeat)) for name, run in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    query = rng.standard_normal(DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    print("| items | what | ms (median) | × one exact search |")
    print("|---:|---|---:|---:|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            store = SqliteStore(Path(folder) / "index")
            fill(store, size, rng)
            search, timings = measure(store, query, args.repeat)
            print(f"| {size:,} | one exact search (reference) | {search:.1f} | 1.00 |")
            for name, took in timings:
                print(f"| {size:,} | {name} | {took:.1f} | {took / search:.2f} |")
            store.close()


if __name__ == "__main__":
    main()
