"""The metrics against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from imgsearch.metrics import (
    average_precision,
    calibration_error,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    reliability,
    roc_auc,
)


def test_roc_auc_by_hand() -> None:
    assert roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.3, 0.1]) == 0.0
    # pairs (pos, neg): (0.9,0.5) win, (0.9,0.7) win, (0.4,0.5) loss, (0.4,0.7) loss
    assert roc_auc([1, 0, 1, 0], [0.9, 0.5, 0.4, 0.7]) == 0.5
    # a tie counts one half: (0.5,0.5) tie, (0.5,0.2) win -> 1.5 / 2
    assert roc_auc([1, 0, 0], [0.5, 0.5, 0.2]) == 0.75
    with pytest.raises(ValueError):
        roc_auc([1, 1], [0.2, 0.3])


def test_calibration_error_by_hand() -> None:
    # bin [0.2, 0.3): confidences 0.2, 0.2, one relevant of two -> |0.2 - 0.5| = 0.3, weight 1/2
    # bin [0.9, 1.0]: confidences 0.9, 1.0, both relevant -> |0.95 - 1| = 0.05, weight 1/2
    assert calibration_error([0, 1, 1, 1], [0.2, 0.2, 0.9, 1.0]) == pytest.approx(0.175)
    assert calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_ranking_metrics_by_hand() -> None:
    # relevant at ranks 2 and 4; a third relevant item was never ranked
    ranked = [0, 1, 0, 1, 0]
    assert recall_at(ranked, 3, 1) == 0.0
    assert recall_at(ranked, 3, 2) == pytest.approx(1 / 3)
    assert recall_at(ranked, 3, 5) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked) == 0.5
    assert reciprocal_rank([0, 0]) == 0.0
    # AP: (1/2 + 2/4) / 3
    assert average_precision(ranked, 3) == pytest.approx(1 / 3)
    assert average_precision([1, 1], 2) == 1.0
    # nDCG@5: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3) + 1/log2(4))
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at(ranked, 3, 5) == pytest.approx(dcg / ideal)
    assert ndcg_at([1, 1, 0], 2, 10) == 1.0


def test_unranked_pairs_count_below_every_ranked_one() -> None:
    # ranked: pos 0.9, neg 0.5; unranked: 1 pos, 2 neg.
    # pairs (2 pos x 3 neg = 6): 0.9 beats 0.5 and both unranked negs (3 wins);
    # the unranked pos loses to 0.5 and ties both unranked negs (1 win) -> 4 / 6
    auc = roc_auc([1, 0], [0.9, 0.5], unranked_relevant=1, unranked_irrelevant=2)
    assert auc == pytest.approx(4 / 6)
    assert roc_auc([1, 0], [0.9, 0.5]) == 1.0
    # confidence 0.95 relevant; unranked 1 relevant + 3 irrelevant at confidence 0:
    # bin 9: |0.95 - 1| x 1/5; bin 0: |0 - 1/4| x 4/5 -> 0.01 + 0.2
    ece = calibration_error([1], [0.95], unranked_relevant=1, unranked_irrelevant=3)
    assert ece == pytest.approx(0.21)
    bins = reliability([1], [0.95], unranked_relevant=1, unranked_irrelevant=3)
    assert [b.count for b in bins] == [4, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert bins[0].frequency == 0.25
