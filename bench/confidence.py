"""Confidence on held-out collections: does a query for what the collection lacks come back
empty at the default cut-off, and do present concepts keep their matches?

Collections generated as a user generates them (``imgsearch demo generate --leave-out``),
with seeds disjoint from the calibration's (``bench/calibrate.py``: 202, 203), each without
a colour, a shape and five colour + shape combinations. Each is indexed with
``demo-shapes`` twice: as a folder (whole pictures) and with its COCO boxes imported
(object regions). Its ``queries.jsonl`` (text for every colour + shape, colour and shape
alone, example images, boxes) runs through the index's own search with the shipped
calibration (``imgsearch evaluate``), at the default cut-off (0.5):

- absent colour or shape: text queries naming a left-out colour or shape, share with no hit;
- absent combination: text queries for a left-out combination whose colour and shape are
  both in the collection, share with no hit (the binding limit of whole-picture vectors:
  see docs/relevance.md);
- present: mean precision and recall at the cut of text and box ("region") queries,
  pooled ROC-AUC of raw cosine and of confidence;
- ECE after ``imgsearch evaluate queries-fit.jsonl --fit-calibration`` (a disjoint file).

    python bench/confidence.py [--images 1500] [--dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)
from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from imgsearch.demo.queries import EVALUATE, FIT, write_query_files
from imgsearch.evaluation import Evaluation, evaluate

HELD_OUT = {
    101: ("purple", "star", "red circle", "green square", "blue triangle", "orange cross",
          "yellow hexagon"),
    102: ("yellow", "square", "red hexagon", "blue star", "green triangle", "purple circle",
          "orange circle"),
}  # fmt: skip


def _share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)} = {sum(values) / len(values):.0%}" if values else "—"


def absent_rows(result: Evaluation, left_out: tuple[str, ...]) -> tuple[list[bool], list[bool]]:
    """Whether each no-answer text query kept nothing: those naming a left-out colour or
    shape, and those for a left-out combination of a present colour and shape."""
    alone = {name for name in left_out if " " not in name}
    single, combined = [], []
    for query in result.queries:
        if query.kind != "text" or query.relevant or query.kept is None:
            continue
        words = set(query.name.removeprefix("text: ").split())
        (single if words & alone else combined).append(query.kept == 0)
    return single, combined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1500)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the collections here.")
    args = parser.parse_args()
    print(
        "| collection | index | absent colour or shape: no hit | absent combination: no hit "
        "| text P / R | region P / R | AUC cosine → confidence | ECE after refit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.dir or Path(scratch)).resolve()
        for seed, left_out in HELD_OUT.items():
            collection = generate_collection(
                folder / f"held-{seed}", args.images, seed, leave_out=left_out
            )
            write_query_files(collection)
            for boxed in (False, True):
                path = folder / f"{'boxed' if boxed else 'plain'}-{seed}"
                with Index.open(path, model="demo-shapes") as index:
                    if index.store.settings() is None:
                        index.update([collection.root])
                        if boxed:
                            index.import_annotations(
                                collection.root / ANNOTATIONS, [collection.root]
                            )
                    result = evaluate(index, collection.root / EVALUATE)
                refit = path.with_name(path.name + "-refit")
                shutil.rmtree(refit, ignore_errors=True)
                shutil.copytree(path, refit)
                with Index.open(refit) as index:
                    evaluate(index, collection.root / FIT, fit=True)
                    after = evaluate(index, collection.root / EVALUATE)
                single, combined = absent_rows(result, left_out)
                text, region = result.by_kind["text"], result.by_kind.get("region")
                overall = result.overall
                print(
                    f"| seed {seed} | {'with object boxes' if boxed else 'whole pictures'} "
                    f"| {_share(single)} | {_share(combined)} "
                    f"| {text.precision_at_cut or 0:.3f} / {text.recall_at_cut or 0:.3f} "
                    + (
                        f"| {region.precision_at_cut or 0:.3f} / {region.recall_at_cut or 0:.3f} "
                        if region
                        else "| — "
                    )
                    + f"| {overall.auc_cosine or 0:.3f} → {overall.auc_confidence or 0:.3f} "
                    f"| {after.overall.ece or 0:.4f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
