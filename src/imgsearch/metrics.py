"""Retrieval and calibration metrics, computed from scores and labels (NumPy only).

Used by the confidence benchmark and ``imgsearch evaluate``; each is checked against
hand-computed cases in ``tests/test_metrics.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def roc_auc(relevant: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve: the chance that a random relevant item scores above a
    random irrelevant one (ties count one half), by the rank-sum (Mann–Whitney) formula."""
    labels = np.asarray(relevant, bool)
    values = np.asarray(scores, np.float64)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("ROC-AUC needs relevant and irrelevant items")
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    sorted_values = values[order]
    # ties share their average rank
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends, strict=True):
        if end - start > 1:
            ranks[order[start:end]] = (start + end + 1) / 2
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration_error(relevant: ArrayLike, confidence: ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: over equal-width confidence bins, the share of items in
    a bin times the gap between its mean confidence and its share of relevant items."""
    labels = np.asarray(relevant, np.float64)
    values = np.asarray(confidence, np.float64)
    which = np.minimum((values * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(values[inside].mean() - labels[inside].mean())
    return total
