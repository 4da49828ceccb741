"""Zero-shot tags, measured: how right they are, how fast a collection is re-tagged, and
what tagging adds to an index run.

1. **Quality** — held-out demo collections (``--seeds``, ``--images`` each; not seeds the
   shipped ``demo-shapes`` model was trained on) indexed with it, as whole pictures and
   with their COCO boxes imported; each picture's true tags are its objects' colours,
   shapes and colour-shape combinations (48 phrases, the model's default vocabulary).
   Micro precision and recall of the tags given at the default threshold, and the mean
   over phrases of average precision (pictures ranked by the phrase's confidence).
2. **Re-tagging** — ``--retag-images`` clustered 512-d vectors (``bench/search.py``'s
   generator) in an embedded store with the shipped ``clip-vit-b-32`` calibration, and
   ``--retag-tags`` phrase vectors drawn from the same clusters: every picture tagged from
   scratch (what a vocabulary change costs), in a process of its own, timed, with its
   peak resident memory. Nothing is decoded or embedded (the phrases' text vectors are
   given: asking a CLIP text tower for 1,000 phrases is a one-off of seconds).
3. **Indexing with tagging on and off** — ``--index-images`` demo pictures indexed into a
   new index twice each way, alternating; the median of each.

    python bench/tags.py [--images 1500] [--seeds 101 102] [--retag-images 100000]
                         [--retag-tags 1000] [--index-images 1500]

Targets (issue 39): precision ≥ 0.9 at recall ≥ 0.8; 100,000 pictures × 1,000 tags
re-tagged in ≤ 30 s on 2 cores; indexing ≤ 5 % slower with tagging on.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py would shadow the standard library's `http`: look in this folder last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import time
from dataclasses import replace

import numpy as np

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.tags.evaluation import evaluate_tags

CACHE = Path(".bench/tags")


def truth(collection: Collection) -> dict[str, set[str]]:
    return {str(image.path): image.phrases for image in collection.images}


def quality(images: int, seed: int, boxed: bool) -> tuple[float, float, float]:
    folder = CACHE / f"quality-{seed}-{images}"
    collection = generate_collection(folder / "photos", images, seed=seed)
    where = folder / ("index-boxed" if boxed else "index-whole")
    shutil.rmtree(where, ignore_errors=True)
    with Index.open(where, model="demo-shapes") as index:
        index.update([collection.root])
        if boxed:
            index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
            index.tag(again=True)
        gold = {index.find(path).id: tags for path, tags in truth(collection).items()}
        vocabulary = index.tag_vocabulary()
        confidence = index.confidence
        assert confidence is not None
        scorer = index.tag_scorer(vocabulary, confidence)
        assert scorer is not None and len(scorer.tags) == 48
        measured = evaluate_tags(index.store, scorer, vocabulary.threshold, gold)
        given = index.auto_tags(list(gold))  # what was stored agrees with the measurement
        right = sum(len(set(given[i]) & tags) for i, tags in gold.items())
        assert right == round(measured.precision * sum(len(given[i]) for i in gold))
    return measured.precision, measured.recall, measured.mean_average_precision


def fill_store(folder: Path, count: int) -> None:
    """An embedded store of ``count`` clustered 512-d vectors (cached)."""
    from imgsearch.store import ImageFacts, ImageWrite, IndexSettings, SqliteStore, WriteBatch
    from search import clustered

    if (folder / "done").exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    vectors = clustered(count, seed=4)
    with SqliteStore(folder) as store:
        store.bind(IndexSettings("clip-vit-b-32", 512))
        for start in range(0, count, 10_000):
            store.write(
                WriteBatch(
                    images=[
                        ImageWrite(
                            ImageFacts(f"/bench/{i // 1000:03}/{i:06}.jpg", 1, 1, f"d{i}"),
                            vectors[i],
                        )
                        for i in range(start, min(count, start + 10_000))
                    ]
                )
            )
    (folder / "done").touch()


def retag(folder: Path, tags: int) -> dict[str, float]:
    """Run in a process of its own: tag every picture of the store at ``folder``."""
    from imgsearch.query.calibration import calibration_for
    from imgsearch.query.confidence import Confidence
    from imgsearch.store import SqliteStore
    from imgsearch.tags.scoring import TagScorer
    from imgsearch.tags.tagging import tag_untagged
    from search import clustered

    phrases = clustered(tags, seed=9)
    with SqliteStore(folder) as store:
        store.auto_tags.reset()
        began = time.perf_counter()
        confidence = Confidence(calibration_for("clip-vit-b-32"))
        scorer = TagScorer.prepare(
            store, confidence, [f"tag {n}" for n in range(tags)], phrases,
            lambda n: (), lambda texts: np.empty((0, 512), np.float32),
        )  # fmt: skip
        prepared = time.perf_counter() - began
        report = tag_untagged(store, scorer, 0.5)
        seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds, "prepare": prepared, "tagged": report.tagged,
        "given": report.tags_given, "peak_mb": peak,
    }  # fmt: skip


def index_time(images: int, tagging: bool, round_: int) -> float:
    folder = CACHE / f"indexing-{images}"
    collection = generate_collection(folder / "photos", images, seed=303)
    where = folder / f"index-{tagging}-{round_}"
    shutil.rmtree(where, ignore_errors=True)
    with Index.open(where, model="demo-shapes") as index:
        index.set_tag_vocabulary(replace(index.tag_vocabulary(), enabled=tagging))
        began = time.perf_counter()
        index.update([collection.root])
        seconds = time.perf_counter() - began
        tagged = index.tag_progress()[0]
    assert (tagged > 0) == tagging, (tagged, tagging)
    shutil.rmtree(where, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1500)
    parser.add_argument("--seeds", type=int, nargs="*", default=[101, 102])
    parser.add_argument("--retag-images", type=int, default=100_000)
    parser.add_argument("--retag-tags", type=int, default=1000)
    parser.add_argument("--index-images", type=int, default=1500)
    parser.add_argument("--retag-only", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.retag_only:
        print(json.dumps(retag(options.retag_only, options.retag_tags)))
        return
    CACHE.mkdir(parents=True, exist_ok=True)

    print("| collection | index | precision | recall | mAP (48 phrases) |\n|---|---|---|---|---|")
    for seed in options.seeds:
        for boxed in (False, True):
            p, r, m = quality(options.images, seed, boxed)
            kind = "with boxes" if boxed else "whole pictures"
            print(
                f"| {seed} ({options.images:,}) | {kind} | {p:.3f} | {r:.3f} | {m:.3f} |",
                flush=True,
            )

    if options.retag_images:
        folder = CACHE / f"retag-{options.retag_images}"
        fill_store(folder, options.retag_images)
        ran = subprocess.run(
            [sys.executable, __file__, "--retag-only", str(folder),
             "--retag-tags", str(options.retag_tags)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(ran.stdout.strip().splitlines()[-1])
        print(f"\nre-tagging {result['tagged']:,} pictures × {options.retag_tags:,} phrases: "
              f"{result['seconds']:.1f} s (of which nulls and leads {result['prepare']:.1f} s), "
              f"{result['given']:,} tags given, peak RSS {result['peak_mb']:.0f} MB", flush=True)  # fmt: skip

    if options.index_images:
        times: dict[bool, list[float]] = {True: [], False: []}
        for round_ in range(2):
            for tagging in (False, True) if round_ % 2 == 0 else (True, False):
                times[tagging].append(index_time(options.index_images, tagging, round_))
        off, on = statistics.median(times[False]), statistics.median(times[True])
        print(f"\nindexing {options.index_images:,} demo pictures: tagging off {off:.2f} s, on "
              f"{on:.2f} s ({100 * (on / off - 1):+.1f} %); runs {times}")  # fmt: skip


if __name__ == "__main__":
    main()
