"""Near-duplicates: how right (pair precision / recall on edited copies of known
originals) and how fast (grouping 100,000 indexed pictures).

Quality: a demo collection (``--images`` originals, half single shapes, half cluttered
scenes, seed ``--seed``) plus six edited copies of every ``--every``-th original
(:mod:`tests.scaffold.variants`), indexed with ``demo-shapes``, grouped by
``imgsearch duplicates --json`` as a user runs it. A pair counts as found when both
pictures land in one group; the truth is every pair within an original's family.

Speed: ``--rows`` synthetic pictures written straight into an embedded index (unit
vectors of 512 dimensions in clusters, 1 in 10 with a planted near copy, thumbprints),
then ``Index.duplicates()`` timed, with the process's peak memory.

``--fit`` instead fits the pair weights (logistic on cosine and thumbprint agreement,
and on cosine alone) on a collection of seed ``--seed`` and prints them for
``imgsearch.duplicates.score.FAMILY_PAIR_CALIBRATIONS``.

    python bench/duplicates.py [--images 1200] [--seed 302] [--rows 100000]
    python bench/duplicates.py --fit --seed 301 --rows 0      # the shipped demo-shapes weights
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.duplicates.find import PairScorer, nearest_pairs
from imgsearch.duplicates.score import SHARP_EPSILON, pair_calibration_for
from imgsearch.duplicates.thumbprint import SIZE as THUMBPRINT_BYTES
from tests.scaffold.variants import Family, write_variants


def build(folder: Path, images: int, seed: int, every: int) -> tuple[Path, list[Family]]:
    half = images // 2
    originals = []
    for mode, count in (("shapes", half), ("scenes", images - half)):
        collection = generate_collection(folder / mode, count, seed, mode=mode)
        originals += [image.path for image in collection.images]
    families = write_variants(originals[::every], folder / "copies", seed=seed)
    return folder, families


def index(folder: Path, index_dir: Path) -> None:
    if not index_dir.exists():
        subprocess.run(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(folder), "--index",
             str(index_dir), "--model", "demo-shapes", "--quiet"],
            check=True,
        )  # fmt: skip


def truth_pairs(families: list[Family]) -> set[frozenset[str]]:
    pairs = set()
    for family in families:
        members = [str(family.original.resolve()), *(str(c.resolve()) for c in family.copies)]
        pairs |= {frozenset(p) for p in itertools.combinations(members, 2)}
    return pairs


def logistic(features: np.ndarray, labels: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Weights (last: bias) by iteratively reweighted least squares, lightly ridged."""
    x = np.hstack([features, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -60, 60)))
        gradient = x.T @ (labels - p) - 1e-3 * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(x.shape[1])
        w += np.linalg.solve(hessian, gradient)
    return w


def fit(index_dir: Path, families: list[Family]) -> None:
    truth = truth_pairs(families)
    with Index.open(index_dir, create=False) as idx:
        rows = [r for r in idx.store.files_under([]) if r.has_vector]
        ids = [r.id for r in rows]
        vectors = idx.store.vectors(ids)
        found = idx.store.thumbprints(ids)
    prints = [found.get(i) for i in ids]
    left, right, cosine = nearest_pairs(vectors, 0.5)
    calibration = pair_calibration_for("demo-shapes")
    sizes = [(r.width, r.height) for r in rows]
    scorer = PairScorer(vectors, prints, [r.digest for r in rows], sizes, calibration)
    pairs = scorer.score(left, right, cosine)
    aspects = scorer.aspects
    gap = np.nan_to_num(
        np.minimum(
            np.abs(aspects[pairs.left] - aspects[pairs.right]),
            np.abs(aspects[pairs.left] + aspects[pairs.right]),
        )
    )
    paths = [r.path for r in rows]
    labels = np.array(
        [
            frozenset((paths[a], paths[b])) in truth
            for a, b in zip(pairs.left, pairs.right, strict=True)
        ],
        dtype=float,
    )
    missed = len(truth) - int(labels.sum())
    print(f"{len(pairs)} candidate pairs at cosine >= 0.5, {int(labels.sum())} true "
          f"({missed} true pairs not among the candidates)")  # fmt: skip
    layout = np.clip(pairs.layout.astype(float), -1, 1)
    sharp = -np.log(SHARP_EPSILON + 1 - layout)
    features = np.stack([pairs.cosine, layout, sharp, gap], axis=1)
    cosine_and_shape = np.stack([pairs.cosine, gap], axis=1).astype(float)
    both = logistic(features, labels)
    alone = logistic(cosine_and_shape, labels)
    for name, w, x in (
        ("cosine + layout + shape", both, features),
        ("cosine + shape (no thumbprint)", alone, cosine_and_shape),
    ):
        p = 1 / (1 + np.exp(-(np.hstack([x, np.ones((len(x), 1))]) @ w)))
        kept = p >= 0.5
        tp = float((kept & (labels == 1)).sum())
        print(f"{name}: weights {np.round(w, 2).tolist()}  in-sample pair P "
              f"{tp / max(kept.sum(), 1):.3f} R {tp / max(len(truth), 1):.3f}")  # fmt: skip
    names = ("cosine_weight", "layout_weight", "sharp_weight", "shape_weight", "bias",
             "alone_weight", "alone_shape_weight", "alone_bias")  # fmt: skip
    weights = [*both, *alone]
    print(
        "PairCalibration("
        + ", ".join(f"{n}={w:.2f}" for n, w in zip(names, weights, strict=True))
        + ")"
    )


def quality(index_dir: Path, families: list[Family]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "imgsearch.cli.main", "duplicates", "--index", str(index_dir),
         "--json"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    report = json.loads(out)
    found = set()
    for group in report["groups"]:
        paths = [m["path"] for m in group["members"]]
        found |= {frozenset(p) for p in itertools.combinations(paths, 2)}
    truth = truth_pairs(families)
    hits = len(found & truth)
    print("| pictures | groups | reported pairs | true pairs | pair precision | pair recall | s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {report['pictures']:,} | {report['group_count']:,} | {len(found):,} | "
          f"{len(truth):,} | {hits / max(len(found), 1):.3f} | {hits / max(len(truth), 1):.3f} "
          f"| {report['seconds']:.2f} |")  # fmt: skip


def synthetic(folder: Path, rows: int, dim: int = 512, seed: int = 0) -> int:
    """An embedded index of ``rows`` pictures written directly (no files): vectors in
    clusters of look-alikes, the last 1 in 11 near copies of every 10th picture (vector
    moved a little, same thumbprint); the number of copies."""
    from imgsearch.store import ImageFacts, ImageWrite, IndexSettings, SqliteStore, WriteBatch

    copies = rows // 11
    originals = rows - copies
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(rows // 50, 1), dim)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), rows)]
    vectors += rng.standard_normal((rows, dim)).astype(np.float32) * 0.6
    prints = rng.integers(0, 256, (rows, THUMBPRINT_BYTES), dtype=np.uint8)
    twins = np.arange(copies) * 10
    vectors[originals:] = vectors[twins] + rng.standard_normal((copies, dim)) * 0.07
    prints[originals:] = prints[twins]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with SqliteStore(folder) as store:
        if store.settings() is not None:
            return copies
        store.bind(IndexSettings("demo-shapes", dim))
        for start in range(0, rows, 10_000):
            batch = WriteBatch()
            for n in range(start, min(start + 10_000, rows)):
                path = f"/synthetic/{n // 1000:03d}/{n:06d}.jpg"
                facts = ImageFacts(path, 100_000, 1_700_000_000 * 10**9, f"d{n}", 640, 480)
                batch.images.append(ImageWrite(facts, vectors[n], thumbprint=prints[n].tobytes()))
            store.write(batch)
    return copies


def speed(folder: Path, rows: int) -> None:
    planted = synthetic(folder / "synthetic", rows)
    started = time.perf_counter()  # as a user runs it: the command line, a process of its own
    out = subprocess.run(
        [sys.executable, "-m", "imgsearch.cli.main", "duplicates", "--index",
         str(folder / "synthetic"), "--json", "--limit", "10"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    seconds = time.perf_counter() - started
    report = json.loads(out)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("| pictures | planted copies | groups | grouping s | command s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {report['pictures']:,} | {planted:,} | {report['group_count']:,} | "
          f"{report['seconds']:.1f} | {seconds:.1f} | {peak:,.0f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=302)
    parser.add_argument("--every", type=int, default=4)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.dir or Path(scratch)).resolve()
        if args.rows:
            speed(folder, args.rows)
        root, families = build(folder / "pictures", args.images, args.seed, args.every)
        index(root, folder / "index")
        if args.fit:
            fit(folder / "index", families)
            return
        quality(folder / "index", families)


if __name__ == "__main__":
    main()
