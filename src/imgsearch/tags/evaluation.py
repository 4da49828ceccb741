"""How right an index's automatic tags are, against a user's own labels.

The labels say, for some indexed pictures, which phrases are true of them: a JSON-lines
file (``{"image": <id or path>, "tags": [...]}`` per line: what ``imgsearch browse --json``
and a spreadsheet export can give) or an annotation file (COCO, YOLO, Pascal VOC: a
picture's tags are the labels of its boxes). Only the phrases of the vocabulary that the
labels use are judged — a file about animals says nothing about a "sunset" tag — and only
the pictures the labels name.

Reported: micro precision and recall of the tags given at the vocabulary's threshold
(what filters and facets show), and average precision per phrase with its mean (mAP:
pictures ranked by the phrase's confidence, whatever the threshold), the standard
multi-label measures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import InvalidQuery
from imgsearch.store import Store
from imgsearch.tags.scoring import TagScorer

MAX_LABEL_BYTES = 256 * 2**20
"""Largest JSON-lines labels file read."""


@dataclass(frozen=True)
class TagEvaluation:
    """Tags against labels (see the module)."""

    pictures: int
    phrases: tuple[str, ...]
    """The vocabulary's phrases the labels use (those judged)."""
    precision: float
    recall: float
    mean_average_precision: float
    average_precision: dict[str, float]
    """Per judged phrase that some labelled picture carries."""

    def as_dict(self) -> dict[str, object]:
        return {
            "pictures": self.pictures,
            "phrases": list(self.phrases),
            "precision": self.precision,
            "recall": self.recall,
            "mean_average_precision": self.mean_average_precision,
            "average_precision": self.average_precision,
        }


def average_precision(scores: NDArray[np.floating], relevant: NDArray[np.bool_]) -> float:
    """Average precision of ranking by ``scores`` (NaN when nothing is relevant)."""
    if not relevant.any():
        return math.nan
    order = np.argsort(-scores, kind="stable")
    hits = relevant[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].mean())


def evaluate_tags(
    store: Store, scorer: TagScorer, threshold: float, truth: Mapping[int, set[str]]
) -> TagEvaluation:
    """``scorer``'s tags for the pictures of ``truth`` (id → true phrases) judged against it."""
    used = set().union(*truth.values()) if truth else set()
    judged = [n for n, tag in enumerate(scorer.tags) if tag in used]
    if not truth or not judged:
        raise InvalidQuery(
            "the labels name no phrase of the tag vocabulary",
            hint="label with the vocabulary's phrases (imgsearch tags vocabulary show), or add "
            "the labels' words to it",
        )
    ids = list(truth)
    confidences = scorer.confidences(store, ids)[:, judged]
    phrases = [scorer.tags[n] for n in judged]
    relevant = np.array([[tag in truth[i] for tag in phrases] for i in ids], dtype=bool)
    given = confidences >= threshold
    right = int((given & relevant).sum())
    precision = right / max(1, int(given.sum()))
    recall = right / max(1, int(relevant.sum()))
    per_phrase = {
        tag: average_precision(confidences[:, n], relevant[:, n]) for n, tag in enumerate(phrases)
    }
    scored = {tag: ap for tag, ap in per_phrase.items() if not math.isnan(ap)}
    mean = float(np.mean(list(scored.values()))) if scored else math.nan
    return TagEvaluation(len(ids), tuple(phrases), precision, recall, mean, scored)


def read_label_lines(path: Path) -> list[tuple[str | int, list[str]]]:
    """The (image, tags) pairs of a JSON-lines labels file; ``image`` an id or a path."""
    try:
        if path.stat().st_size > MAX_LABEL_BYTES:
            raise InvalidQuery(f"{path} is larger than {MAX_LABEL_BYTES // 2**20} MB")
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQuery(f"cannot read {path}: {exc}") from None
    pairs: list[tuple[str | int, list[str]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise InvalidQuery(f"{path}:{number} is not JSON") from None
        image = (
            entry.get("image", entry.get("id", entry.get("path")))
            if isinstance(entry, dict)
            else None
        )
        tags = entry.get("tags") if isinstance(entry, dict) else None
        if (
            not isinstance(image, (str, int))
            or isinstance(image, bool)
            or not isinstance(tags, list)
        ):
            raise InvalidQuery(
                f"{path}:{number} needs an image (id or path) and a list of tags",
                hint='one {"image": "photos/cat.jpg", "tags": ["cat", "sofa"]} per line',
            )
        pairs.append((image, [str(t).strip() for t in tags if str(t).strip()]))
    return pairs
