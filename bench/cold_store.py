"""What a cold search pays in the embedded store, as the collection grows.

An embedded index of ``--rows`` random 512-d vectors is written once (kept in ``--dir``,
its HNSW graph saved). Then, same run, median of ``--runs``:

1. **The confidence sample:** its first 1,024 images in a fixed hash order of their ids
   (``imgsearch.store.core.SAMPLE_ORDER``), read with the index on that order (migration
   0007) and, as the reference, from a copy of the database without it.
2. **Catching up with the saved graph:** on opening, the rows written since the graph was
   saved are read. The statement as it runs now (through the revision's index, and not
   at all when nothing is newer), against the same statement left to SQLite's planner
   (the reference: it scanned the whole table in id order).
3. **The whole first search** of a fresh store (load the graph, catch up, search).

    python bench/cold_store.py [--rows 100000] [--runs 7] [--dir /tmp/imgsearch-cold-store]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py would shadow the standard library's `http` (see bench/embed.py)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

from imgsearch.query.confidence import load_sample
from imgsearch.store import ImageFacts, ImageWrite, IndexSettings, SqliteStore, WriteBatch

DIM = 512
BATCH = 5000


def build(folder: Path, rows: int) -> None:
    store = SqliteStore(folder)
    if store.settings() is None:
        store.bind(IndexSettings("bench-random", DIM))
    have = store.sample_images(1)[1]
    rng = np.random.default_rng(0)
    for start in range(have, rows, BATCH):
        count = min(BATCH, rows - start)
        vectors = rng.standard_normal((count, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        images = [ImageWrite(_facts(f"/bench/{start + i}.jpg"), vectors[i]) for i in range(count)]
        store.write(WriteBatch(images=images))
    store.nearest(np.ones(DIM, np.float32) / np.sqrt(DIM), 1)  # builds the graph ...
    store.close()  # ... and saves it


def _facts(path: str) -> ImageFacts:
    return ImageFacts(
        path=path, digest=path, size=1, mtime_ns=1, width=640, height=480, format="JPEG"
    )


def timed(folder: Path, runs: int) -> tuple[float, float]:
    """Median milliseconds of ``sample_images`` and of the whole ``load_sample``."""
    store = SqliteStore(folder)
    ids_ms, load_ms = [], []
    for _ in range(runs):
        start = time.perf_counter()
        store.sample_images(1024)
        ids_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        load_sample(store)
        load_ms.append((time.perf_counter() - start) * 1000)
    store.close()
    return statistics.median(ids_ms), statistics.median(load_ms)


def catch_up_rows(folder: Path, runs: int) -> list[tuple[str, float]]:
    """The catch-up statement planned by SQLite (reference) and as the store runs it, and
    a fresh store's whole first search."""
    db = sqlite3.connect(folder / "index.db")
    (rev,) = db.execute("SELECT max(vec_rev) FROM images").fetchone()
    statement = (
        "SELECT id, vector FROM images{hint} WHERE vec_rev > ? AND vector IS NOT NULL ORDER BY id"
    )

    def run(hint: str) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            db.execute(statement.format(hint=hint), (rev,)).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    planned, hinted = run(""), run(" INDEXED BY images_vec_rev")
    db.close()
    query = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    first = []
    for _ in range(runs):
        store = SqliteStore(folder)
        start = time.perf_counter()
        store.nearest(query, 10)
        first.append((time.perf_counter() - start) * 1000)
        store.close()
    return [
        ("catch-up statement, planned by SQLite (reference: a full scan)", planned),
        ("catch-up statement through the revision's index", hinted),
        ("a fresh store's first search, all of it (graph up to date: no catch-up)",
         statistics.median(first)),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/imgsearch-cold-store"))
    args = parser.parse_args()
    indexed = args.dir / "indexed"
    build(indexed, args.rows)
    bare = args.dir / "bare"
    shutil.rmtree(bare, ignore_errors=True)
    bare.mkdir(parents=True)
    source = sqlite3.connect(indexed / "index.db")
    target = sqlite3.connect(bare / "index.db")
    source.backup(target)
    source.close()
    target.execute("DROP INDEX images_sample")
    target.commit()
    target.close()
    # the copy keeps 0007 marked as applied, so opening it does not build the index again
    rows = [
        ("without the index (reference)", *timed(bare, args.runs)),
        ("with the index (migration 0007)", *timed(indexed, args.runs)),
    ]
    print(f"{args.rows:,} images, median of {args.runs}")
    print("| sample read | ids (ms) | whole sample (ms) |")
    print("|---|---:|---:|")
    for label, ids_ms, load_ms in rows:
        print(f"| {label} | {ids_ms:.1f} | {load_ms:.1f} |")
    print()
    print("| opening the saved graph | ms |")
    print("|---|---:|")
    for label, ms in catch_up_rows(indexed, args.runs):
        print(f"| {label} | {ms:.1f} |")


if __name__ == "__main__":
    main()
