"""The numbers ``imgsearch evaluate`` reports, from judged rankings.

Ranking quality (means over the queries that have relevant images): Recall@1/5/10,
MRR, nDCG@10, mAP. The confidence (with the calibration in use): precision and recall
of the hits at or above the cut-off (precision: mean over the queries that kept a hit;
recall: mean over all), the share of queries with nothing relevant that keep no hit,
pooled ROC-AUC of raw cosine and of confidence over every (query, image) pair, and the
expected calibration error (see :mod:`imgsearch.metrics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.evaluation.judge import Judged
from imgsearch.metrics import (
    ReliabilityBin,
    average_precision,
    calibration_error,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    reliability,
    roc_auc,
)
from imgsearch.query.calibration import Calibration, Evidence, fit_calibration, fit_presence, key


@dataclass(frozen=True)
class Summary:
    queries: int
    """Queries with at least one relevant image."""
    no_match: int
    """Queries with nothing relevant in the collection."""
    recall_at_1: float | None
    recall_at_5: float | None
    recall_at_10: float | None
    mrr: float | None
    ndcg_at_10: float | None
    map: float | None
    precision_at_cut: float | None
    recall_at_cut: float | None
    no_match_empty: float | None
    """Of the queries with nothing relevant, the share that kept no hit at the cut-off."""
    auc_cosine: float | None
    auc_confidence: float | None
    ece: float | None

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def summarise(judged: Sequence[Judged], calibration: Calibration, cut: float) -> Summary:
    """The numbers for ``judged`` with confidences from ``calibration`` and the cut-off
    ``cut``."""
    answered = [j for j in judged if j.relevant_total]
    empty = [j for j in judged if not j.relevant_total]
    confident = [j for j in judged if j.confident]

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    kept = {id(j): j.confidences(calibration) >= cut for j in confident}
    precisions = [
        float(j.ranked[kept[id(j)]].mean()) for j in answered if j.confident and kept[id(j)].any()
    ]
    pooled = _pooled(confident, calibration)
    return Summary(
        queries=len(answered),
        no_match=len(empty),
        recall_at_1=mean([recall_at(j.ranked, j.relevant_total, 1) for j in answered]),
        recall_at_5=mean([recall_at(j.ranked, j.relevant_total, 5) for j in answered]),
        recall_at_10=mean([recall_at(j.ranked, j.relevant_total, 10) for j in answered]),
        mrr=mean([reciprocal_rank(j.ranked) for j in answered]),
        ndcg_at_10=mean([ndcg_at(j.ranked, j.relevant_total, 10) for j in answered]),
        map=mean([average_precision(j.ranked, j.relevant_total) for j in answered]),
        precision_at_cut=mean(precisions),
        recall_at_cut=mean(
            [int(j.ranked[kept[id(j)]].sum()) / j.relevant_total for j in answered if j.confident]
        ),
        no_match_empty=mean([float(not kept[id(j)].any()) for j in empty if j.confident]),
        **pooled,
    )


def _pooled(judged: Sequence[Judged], calibration: Calibration) -> dict[str, float | None]:
    if not judged:
        return {"auc_cosine": None, "auc_confidence": None, "ece": None}
    relevant = np.concatenate([j.ranked for j in judged])
    cosine = np.concatenate([j.cosine for j in judged])
    confidence = np.concatenate([j.confidences(calibration) for j in judged])
    unranked = {
        "unranked_relevant": sum(j.unranked_relevant for j in judged),
        "unranked_irrelevant": sum(j.unranked_irrelevant for j in judged),
    }
    positives = int(relevant.sum()) + unranked["unranked_relevant"]
    negatives = int((~relevant).sum()) + unranked["unranked_irrelevant"]
    both = positives > 0 and negatives > 0
    return {
        "auc_cosine": roc_auc(relevant, cosine, **unranked) if both else None,
        "auc_confidence": roc_auc(relevant, confidence, **unranked) if both else None,
        "ece": calibration_error(relevant, confidence, **unranked),
    }


def reliability_of(judged: Sequence[Judged], calibration: Calibration) -> list[ReliabilityBin]:
    """The reliability diagram's bins over every judged pair with a confidence."""
    confident = [j for j in judged if j.confident]
    if not confident:
        return reliability([], [])
    return reliability(
        np.concatenate([j.ranked for j in confident]),
        np.concatenate([j.confidences(calibration) for j in confident]),
        unranked_relevant=sum(j.unranked_relevant for j in confident),
        unranked_irrelevant=sum(j.unranked_irrelevant for j in confident),
    )


def refit(judged: Sequence[Judged], fitted_on: str, base: Calibration) -> Calibration:
    """A calibration fitted to the judged hits (the pairs the rankings reached, every
    relevant image among them when ``depth`` covers the collection), one set of weights
    per query kind and target with enough pairs (the others keep ``base``'s; see
    :func:`imgsearch.query.calibration.fit_calibration`), and the presence from the
    queries that have a lead over rivals."""
    confident = [j for j in judged if j.confident]
    if not confident:
        raise ValueError("no query has confidences: the index is too small to calibrate")
    led = [j for j in confident if j.lead is not None]
    leads = ([j.lead for j in led if j.lead is not None], np.array([j.present for j in led], bool))
    # with a presence to weigh them, queries with a lead whose concept is absent are its
    # evidence; without one they stay with the hits' weights
    weighed = base.presence is not None or fit_presence(*leads) is not None
    grouped: dict[str, tuple[list[Evidence], list[NDArray[np.bool_]]]] = {}
    for j in confident:
        if weighed and j.lead is not None and not j.present:
            continue  # its concept is absent: the presence's to tell, not the hit's weights
        evidence = j.evidence
        boxed = evidence.has_objects
        for target, chosen in (("image", ~boxed), ("objects", boxed)):
            if chosen.any():
                found = grouped.setdefault(key(j.modality, target), ([], []))
                found[0].append(evidence.subset(chosen))
                found[1].append(j.ranked[chosen])
    pairs = {
        name: (Evidence.joined(parts), np.concatenate(right))
        for name, (parts, right) in grouped.items()
    }
    return fit_calibration(pairs, fitted_on, base, leads)


@dataclass(frozen=True)
class QueryScore:
    """One query's numbers, to find the queries that fail."""

    line: int
    name: str
    kind: str
    relevant: int
    """Right answers in the index (0: the query should find nothing)."""
    average_precision: float | None
    reciprocal_rank: float | None
    recall_at_10: float | None
    kept: int | None
    """Hits at or above the cut-off (None: no confidence for this query)."""
    right_kept: int | None

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    @property
    def badness(self) -> tuple[float, int]:
        """Sort key, worst first: a no-answer query that kept hits, then by AP."""
        if not self.relevant:
            return (-1.0 if self.kept else 2.0, self.line)
        return (self.average_precision or 0.0, self.line)


def per_query(judged: Sequence[Judged], calibration: Calibration, cut: float) -> list[QueryScore]:
    scores = []
    for j in judged:
        kept = j.confidences(calibration) >= cut if j.confident else None
        answered = j.relevant_total > 0
        scores.append(
            QueryScore(
                line=j.query.line,
                name=j.query.name,
                kind=j.query.kind,
                relevant=j.relevant_total,
                average_precision=average_precision(j.ranked, j.relevant_total)
                if answered
                else None,
                reciprocal_rank=reciprocal_rank(j.ranked) if answered else None,
                recall_at_10=recall_at(j.ranked, j.relevant_total, 10) if answered else None,
                kept=int(kept.sum()) if kept is not None else None,
                right_kept=int(j.ranked[kept].sum()) if kept is not None else None,
            )
        )
    return scores
