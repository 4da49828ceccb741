"""Fit the confidence calibration that ships for ``demo-shapes`` (catalog.json).

Two generated collections (seeds 202 and 203, never used for measuring), each without a
colour, a shape and five colour + shape combinations, indexed with ``demo-shapes`` and
once more with their COCO boxes imported (each object a region). On each, the labelled
queries of
``queries-fit.jsonl`` (text for every colour + shape, colour and shape alone, example
images, boxes) are judged through the index's own search (without boxes: the ``image``
weights; with them: ``objects``), and every text query is also run as an object search
(boxes as hits) for the ``region`` weights. Three smaller collections (150, 300 and 600
images; seeds 204-206), as folders, add their queries at other sizes. The weights per
query kind and target are fitted on all of it, the presence on the text queries' leads
over their rivals (absent concepts' pairs go to the presence only:
:func:`imgsearch.query.calibration.fit_calibration`), and printed as the catalog entry's
``calibration``.

    python bench/calibrate.py [--images 1500] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import _paths  # noqa: F401  (first: see bench/_paths.py)
from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.demo.queries import FIT, write_query_files
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.evaluation.judge import judge
from imgsearch.evaluation.queries import read_queries
from imgsearch.query.calibration import PRIOR, Evidence, Lead, fit_calibration, key
from imgsearch.query.expression import Query, QueryPart, encode_query
from imgsearch.query.judging import query_null

FITTED_ON = {
    202: ("orange", "hexagon", "red star", "green circle", "blue square", "yellow triangle",
          "purple cross"),
    203: ("green", "triangle", "red square", "blue circle", "yellow star", "purple hexagon",
          "orange cross"),
}  # fmt: skip
SMALLER = {
    204: (150, ("purple", "circle", "red triangle", "green star", "blue hexagon", "yellow square",
                "orange star")),
    205: (300, ("blue", "cross", "red circle", "green hexagon", "yellow star", "orange square",
                "purple triangle")),
    206: (600, ("red", "star", "green cross", "blue circle", "yellow hexagon", "orange triangle",
                "purple square")),
}  # fmt: skip
"""Smaller collections, indexed as folders: a bigger collection holds more near misses, so
how clear a lead tells presence depends on the size (the presence's second feature)."""
Pairs = dict[str, tuple[list[Evidence], list[NDArray[np.bool_]]]]
Leads = list[tuple[Lead, bool]]
"""Each query's lead over its rivals, and whether its concept is in the collection."""


def _add(pairs: Pairs, name: str, evidence: Evidence, relevant: NDArray[np.bool_]) -> None:
    found = pairs.setdefault(name, ([], []))
    found[0].append(evidence)
    found[1].append(relevant)


def judged_pairs(index: Index, collection: Collection, pairs: Pairs, leads: Leads) -> None:
    """The fit file's queries judged at image level (grouped as a refit groups them): a
    query with a lead whose concept is absent is the presence's evidence only."""
    queries = read_queries(collection.root / FIT)
    judged, problems = judge(index, queries.queries)
    assert not problems, problems
    for j in judged:
        if j.lead is not None:
            leads.append((j.lead, j.present))
            if not j.present:
                continue
        evidence = j.evidence
        boxed = evidence.has_objects
        for target, chosen in (("image", ~boxed), ("objects", boxed)):
            if chosen.any():
                _add(pairs, key(j.modality, target), evidence.subset(chosen), j.ranked[chosen])


def region_pairs(index: Index, pairs: Pairs) -> None:
    """Every text query as an object search: each box judged by its label (those of
    absent concepts left to the presence, which the image-level queries fit)."""
    confidence = index.confidence
    assert confidence is not None
    names = [f"{c} {s}" for c in COLOURS for s in SHAPES] + [*COLOURS, *SHAPES]
    for name in names:
        query = Query((QueryPart(text=f"a photo of a {name}"),), objects=True, exact=True)
        vector = encode_query(query.parts, index.images, index.store)
        null = query_null(index.store, vector, query, confidence)
        assert null is not None
        found = index.store.regions.nearest(vector, 1_000_000, sources=("annotation",), exact=True)
        labels = {r.id: r.region.label or "" for r in index.store.regions.of(
            list({image_id for _, image_id, _ in found}))}  # fmt: skip
        cosines = np.array([c for _, _, c in found])
        words = name.split()
        right = np.array([all(w in labels[r].split() for w in words) for r, _, _ in found])
        if not right.any():
            continue
        _add(pairs, key("text", "region"), Evidence.of(null.excess(cosines), cosines), right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1500)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the collections here.")
    args = parser.parse_args()
    pairs: Pairs = {}
    leads: Leads = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.dir or Path(scratch)).resolve()
        for seed, (size, left_out) in SMALLER.items():
            collection = generate_collection(folder / f"fit-{seed}", size, seed, leave_out=left_out)
            write_query_files(collection)
            with Index.open(folder / f"plain-{seed}", model="demo-shapes") as index:
                if index.store.settings() is None:
                    index.update([collection.root])
                judged_pairs(index, collection, pairs, leads)
        for seed, left_out in FITTED_ON.items():
            collection = generate_collection(
                folder / f"fit-{seed}", args.images, seed, leave_out=left_out
            )
            write_query_files(collection)
            # without boxes (what `imgsearch index` makes of a folder): the image weights
            with Index.open(folder / f"plain-{seed}", model="demo-shapes") as index:
                if index.store.settings() is None:
                    index.update([collection.root])
                judged_pairs(index, collection, pairs, leads)
            # with every object's box imported: the objects and region weights
            with Index.open(folder / f"boxed-{seed}", model="demo-shapes") as index:
                if index.store.settings() is None:
                    index.update([collection.root])
                    index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
                judged_pairs(index, collection, pairs, leads)
                region_pairs(index, pairs)
    grouped = {
        name: (Evidence.joined(parts), np.concatenate(right))
        for name, (parts, right) in pairs.items()
    }
    for name, (_, right) in sorted(grouped.items()):
        print(f"{name}: {len(right):,} pairs, {int(right.sum()):,} right", flush=True)
    present = sum(p for _, p in leads)
    print(f"presence: {len(leads)} queries with a lead, {present} present", flush=True)
    seeds = " and ".join(str(s) for s in FITTED_ON)
    fitted = fit_calibration(
        grouped,
        f"demo-shapes: fitted by bench/calibrate.py on two generated collections of "
        f"{args.images} images (seeds {seeds}) and three of 150, 300 and 600 (seeds 204-206), "
        "each without a colour, a shape and five combinations; text, example-image, box and "
        "object-search queries; the presence from the leads of their text queries over rivals",
        PRIOR,
        ([lead for lead, _ in leads], np.array([present for _, present in leads])),
    )
    print(json.dumps(fitted.as_dict(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
