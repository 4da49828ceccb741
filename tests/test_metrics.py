"""The metrics against cases worked out by hand."""

from __future__ import annotations

import pytest

from imgsearch.metrics import calibration_error, roc_auc


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
