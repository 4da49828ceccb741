"""Retrieval and calibration metrics, computed from scores and labels (NumPy only).

Used by ``imgsearch evaluate`` (:mod:`imgsearch.evaluation`) and the confidence
benchmark; each is checked against hand-computed cases in ``tests/test_metrics.py``.

Ranking metrics take ``ranked``: whether each hit of one query's ranking, best first, is
relevant; and ``total``: how many relevant items the query has (some may not be ranked).
Pooled metrics take every judged (query, item) pair; items a ranking did not reach
(``unranked_relevant`` / ``unranked_irrelevant``) count as scored below every ranked one,
tied among themselves, with confidence 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def recall_at(ranked: ArrayLike, total: int, k: int) -> float:
    """The share of the relevant items found in the first ``k`` hits."""
    return float(np.asarray(ranked, bool)[:k].sum()) / total if total else 0.0


def reciprocal_rank(ranked: ArrayLike) -> float:
    """1 / the rank of the first relevant hit (0 when none is ranked)."""
    found = np.flatnonzero(np.asarray(ranked, bool))
    return 1.0 / (found[0] + 1) if len(found) else 0.0


def ndcg_at(ranked: ArrayLike, total: int, k: int) -> float:
    """Normalised discounted cumulative gain of the first ``k`` hits with binary gains:
    the sum of 1 / log2(rank + 1) over relevant hits, over the same sum for an ideal
    ranking (all relevant items first)."""
    hits = np.asarray(ranked, bool)[:k]
    gains = (1.0 / np.log2(np.arange(2, len(hits) + 2)))[hits].sum()
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(total, k) + 1))
    return float(gains / ideal) if ideal else 0.0


def average_precision(ranked: ArrayLike, total: int) -> float:
    """The mean, over all ``total`` relevant items, of the precision at each one's rank
    (a relevant item never ranked adds 0)."""
    hits = np.asarray(ranked, bool)
    ranks = np.flatnonzero(hits) + 1
    if not total:
        return 0.0
    return float((np.arange(1, len(ranks) + 1) / ranks).sum() / total)


def roc_auc(
    relevant: ArrayLike,
    scores: ArrayLike,
    *,
    unranked_relevant: int = 0,
    unranked_irrelevant: int = 0,
) -> float:
    """Area under the ROC curve: the chance that a random relevant item scores above a
    random irrelevant one (ties count one half), by the rank-sum (Mann–Whitney) formula."""
    labels = np.asarray(relevant, bool)
    values = np.asarray(scores, np.float64)
    ranked_pos = int(labels.sum())
    ranked_neg = len(labels) - ranked_pos
    positives = ranked_pos + unranked_relevant
    negatives = ranked_neg + unranked_irrelevant
    if positives == 0 or negatives == 0:
        raise ValueError("ROC-AUC needs relevant and irrelevant items")
    wins = 0.0
    if ranked_pos and ranked_neg:
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
        wins = ranks[labels].sum() - ranked_pos * (ranked_pos + 1) / 2
    # ranked relevant items beat every unranked irrelevant one; unranked ones tie
    wins += ranked_pos * unranked_irrelevant + 0.5 * unranked_relevant * unranked_irrelevant
    return float(wins / (positives * negatives))


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin: how many pairs fell in it, their mean confidence and the share
    of them that were relevant."""

    low: float
    high: float
    count: int
    confidence: float
    frequency: float


def reliability(
    relevant: ArrayLike,
    confidence: ArrayLike,
    bins: int = 10,
    *,
    unranked_relevant: int = 0,
    unranked_irrelevant: int = 0,
) -> list[ReliabilityBin]:
    """Pairs grouped into ``bins`` equal-width confidence bins (the reliability diagram)."""
    labels = np.asarray(relevant, np.float64)
    values = np.asarray(confidence, np.float64)
    which = np.minimum((values * bins).astype(int), bins - 1)
    result = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        confidences = float(values[inside].sum())
        positives = float(labels[inside].sum())
        if b == 0:
            count += unranked_relevant + unranked_irrelevant
            positives += unranked_relevant
        result.append(
            ReliabilityBin(
                b / bins,
                (b + 1) / bins,
                count,
                confidences / count if count else 0.0,
                positives / count if count else 0.0,
            )
        )
    return result


def calibration_error(
    relevant: ArrayLike,
    confidence: ArrayLike,
    bins: int = 10,
    *,
    unranked_relevant: int = 0,
    unranked_irrelevant: int = 0,
) -> float:
    """Expected calibration error: over equal-width confidence bins, the share of items in
    a bin times the gap between its mean confidence and its share of relevant items."""
    table = reliability(
        relevant,
        confidence,
        bins,
        unranked_relevant=unranked_relevant,
        unranked_irrelevant=unranked_irrelevant,
    )
    total = sum(b.count for b in table)
    return sum(b.count / total * abs(b.confidence - b.frequency) for b in table) if total else 0.0
