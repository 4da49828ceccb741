"""Confidence, measured: is it comparable across queries where raw cosine is not?

Two generated demo collections (``--images`` each; seeds ``--fit-seed`` and
``--seed``, neither one the shipped model was trained on) are indexed with the shipped
``demo-shapes`` model and their COCO annotations imported (each object a region). On
each: 36 text queries (every colour + shape) and ``--regions`` region queries (a box
around one object of a multi-object image; the source image left out). Every
(query, image) pair is scored. A calibration is refitted on the fit collection; both it
and the shipped one are judged on the other collection:

- pooled ROC-AUC over all pairs of all queries: raw cosine vs confidence;
- expected calibration error (10 bins); precision / recall at confidence 0.5, pooled
  and as means over queries;
- the same with regions only (``sources=annotation``, no whole-image vectors).

    python bench/confidence.py [--images 3000] [--regions 60] [--seed 101] [--fit-seed 202]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

from imgsearch import Index, Query, QueryPart
from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.metrics import calibration_error, roc_auc
from imgsearch.query.confidence import Calibration, calibration_for, fit_calibration
from imgsearch.query.expression import encode_query
from imgsearch.types import Box

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # cosine, excess, relevant, query


def pairs(folder: Path, images: int, seed: int, regions: int, sources: tuple[str, ...]) -> Pairs:
    collection = generate_collection(folder / f"shapes-{seed}", images, seed)
    index = Index.open(folder / f"index-{seed}", model="demo-shapes")
    if index.store.stats().vectors == 0:
        index.update([collection.root])
        index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
    labels = collection.by_path()
    rng = random.Random(seed)
    queries = [(QueryPart(text=f"{c} {s}"), f"{c} {s}", None) for c in COLOURS for s in SHAPES]
    multi = [image for image in collection.images if len(image.objects) > 1]
    for image in rng.sample(multi, regions):
        target = rng.choice(image.objects)
        part = QueryPart(image=str(image.path), box=Box(*target.box))
        queries.append((part, target.name, str(image.path)))
    confidence = index.confidence
    assert confidence is not None
    cosines, excess, relevant, owner = [], [], [], []
    for number, (part, name, source) in enumerate(queries):
        query = Query((part,), top=images, metadata_weight=0.0, exact=True, sources=sources)
        null = confidence.null(
            index.store, encode_query([part], index.images, index.store), sources=sources
        )
        assert null is not None
        for hit in index.search(query):
            if hit.image.path != source:
                cosines.append(hit.cosine)
                excess.append(float(null.excess([hit.cosine])[0]))
                relevant.append(labels[hit.image.path].contains(name))
                owner.append(number)
    index.close()
    return np.array(cosines), np.array(excess), np.array(relevant), np.array(owner)


def report(label: str, data: Pairs, calibration: Calibration) -> None:
    cosine, excess, relevant, owner = data
    confidence = calibration.probability(excess)
    chosen = confidence >= 0.5
    per_query = [
        (relevant[(owner == q) & chosen].mean() if (chosen & (owner == q)).any() else 1.0,
         chosen[(owner == q) & relevant].mean())
        for q in np.unique(owner)
    ]  # fmt: skip
    precision, recall = np.mean(per_query, axis=0)
    print(
        f"| {label} | {roc_auc(relevant, cosine):.4f} | {roc_auc(relevant, confidence):.4f} "
        f"| {calibration_error(relevant, confidence):.4f} "
        f"| {relevant[chosen].mean():.3f} / {chosen[relevant].mean():.3f} "
        f"| {precision:.3f} / {recall:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--regions", type=int, default=60)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--fit-seed", type=int, default=202)
    parser.add_argument("--dir", type=Path, default=None, help="Keep collections here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        shipped = calibration_for("demo-shapes")
        print(f"demo-shapes, {args.images} images per collection; shipped: {shipped.as_dict()}")
        print(
            "| matching / calibration | AUC cosine | AUC confidence | ECE "
            "| pooled P / R at 0.5 | mean P / R at 0.5 |"
        )
        print("|---|---|---|---|---|---|")
        for sources in ((), ("annotation",)):
            fit = pairs(folder, args.images, args.fit_seed, args.regions, sources)
            held = pairs(folder, args.images, args.seed, args.regions, sources)
            refit = fit_calibration(fit[1], fit[2], f"seed {args.fit_seed}")
            kind = "regions only" if sources else "whole + regions"
            if not sources:
                report(f"{kind} / shipped", held, shipped)
            report(f"{kind} / refit ({refit.slope:.2f}, {refit.intercept:.2f})", held, refit)


if __name__ == "__main__":
    main()
