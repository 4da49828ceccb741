"""Does the model bind colour to shape? The diagnostic behind issue 18's one missed target.

Issue 18 asks that text queries for colour + shape combinations a collection was
generated without come back empty at the default cut-off. This script takes an index
that ``bench/evaluate.py --dir DIR`` built (a held-out demo collection without six
combinations, its objects imported as annotation regions) and measures why they do not:

1. **Objects alone.** Every annotated object's crop vector is classified zero-shot
   against the 36 colour + shape texts: top-1 accuracy and the commonest confusions.
2. **Queries.** Each of the 36 text queries (present and absent combinations), matched
   as search matches (best of whole image and regions) and on regions only
   (``--source annotation``), cut at confidence 0.5 with the index's calibration:
   mean precision / recall of the present combinations, and how many absent ones keep
   nothing. Then the same with an ideal *competing descriptions* rule on top: a hit
   is kept only if no other of the 35 combination texts describes its matched vector
   (whole image or crop) better. That rule is the most a bank of alternative
   descriptions (querybank normalisation) could add with this model.

    python bench/evaluate.py --dir /tmp/ev         # builds the index, once
    python bench/binding.py --dir /tmp/ev
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path[:0] = [p for p in sys.path if p.endswith("site-packages")]  # bench/http.py

from imgsearch.demo.shapes import COLOURS, SHAPES  # noqa: E402
from imgsearch.index import Index  # noqa: E402
from imgsearch.query.calibration import Evidence  # noqa: E402
from imgsearch.query.confidence import AUTO_CONFIDENCE  # noqa: E402
from imgsearch.store import StoredFile  # noqa: E402

NAMES = [f"{colour} {shape}" for colour in COLOURS for shape in SHAPES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="bench/evaluate.py's --dir")
    args = parser.parse_args()
    root = args.dir.resolve()
    with Index.open(root / "index", create=False) as index:
        store = index.store
        files = [f for f in store.files_under([]) if f.has_vector]
        ids = [f.id for f in files]
        position = {image_id: n for n, image_id in enumerate(ids)}
        whole = np.asarray(store.vectors(ids), np.float32)
        records = [r for r in store.regions.of(ids) if r.region.source == "annotation"]
        crops = np.asarray(store.regions.vectors([r.id for r in records]), np.float32)
        owners = np.asarray([position[r.image_id] for r in records])
        texts = np.asarray(index.encoder.embed_texts(NAMES), np.float32)

        labels = [r.region.label for r in records]
        guess = np.argmax(crops @ texts.T, axis=1)
        wrong = collections.Counter(
            (label, NAMES[g]) for g, label in zip(guess, labels, strict=True) if NAMES[g] != label
        )
        right = sum(NAMES[g] == label for g, label in zip(guess, labels, strict=True))
        print(f"objects: {len(records)} crops, zero-shot top-1 accuracy {right / len(records):.4f}")
        for (label, said), count in wrong.most_common(6):
            print(f"  {label} taken for {said}: {count}")

        relevant = _relevant(root, files)
        confidence = index.confidence
        assert confidence is not None, "the index is too small for confidences"
        print()
        print("| matched on | rule | present: mean P | mean R | absent: none kept |")
        print("|---|---|---:|---:|---:|")
        for mode in ("whole image or region", "regions only"):
            for rule in ("confidence ≥ 0.5", "… and no better description"):
                precision, recall, empty, absent = [], [], 0, 0
                for n, name in enumerate(NAMES):
                    vector = texts[n]
                    sources = ("annotation",) if mode == "regions only" else ()
                    score, matched = _best(vector, whole, crops, owners, regions_only=bool(sources))
                    null = confidence.null(store, vector, sources=sources)
                    assert null is not None
                    cosine = score.astype(np.float64)
                    evidence = Evidence.of(null.excess(cosine), cosine)
                    keep = confidence.calibration.probability("text", evidence) >= AUTO_CONFIDENCE
                    if rule.startswith("…"):
                        others = np.delete(matched @ texts.T, n, axis=1).max(axis=1)
                        keep &= score >= others
                    truth = relevant[name]
                    if not truth.any():
                        absent += 1
                        empty += int(not keep.any())
                        continue
                    precision.append((keep & truth).sum() / max(keep.sum(), 1))
                    recall.append((keep & truth).sum() / truth.sum())
                print(
                    f"| {mode} | {rule} | {np.mean(precision):.3f} | {np.mean(recall):.3f} "
                    f"| {empty} of {absent} |"
                )


def _best(
    vector: NDArray[np.float32],
    whole: NDArray[np.float32],
    crops: NDArray[np.float32],
    owners: NDArray[np.int64],
    *,
    regions_only: bool,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Each image's best cosine and the vector that gave it (as search matches)."""
    score = np.full(len(whole), -np.inf, np.float32) if regions_only else whole @ vector
    matched = np.zeros_like(whole) if regions_only else whole.copy()
    crop_scores = crops @ vector
    for j in np.argsort(crop_scores):  # ascending: the best crop of each image wins last
        if crop_scores[j] > score[owners[j]]:
            score[owners[j]] = crop_scores[j]
            matched[owners[j]] = crops[j]
    return score, matched


def _relevant(root: Path, files: list[StoredFile]) -> dict[str, NDArray[np.bool_]]:
    """For each combination, which indexed images hold it (from the evaluation queries)."""
    found = {}
    for line in (root / "collection" / "queries.jsonl").read_text("utf-8").splitlines():
        query = json.loads(line)
        if "text" in query:
            paths = {str(root / "collection" / p) for p in query["relevant"]}
            found[query["text"]] = np.asarray([f.path in paths for f in files])
    return found


if __name__ == "__main__":
    main()
