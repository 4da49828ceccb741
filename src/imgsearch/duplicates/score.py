"""How sure a pair of pictures is a near-duplicate: a logistic on the two things that
tell copies apart from look-alikes — the cosine of their vectors (same content) and the
agreement of their thumbprints (same layout, :mod:`.thumbprint`).

Why a probability and not a cosine threshold: a cosine of 0.93 is a copy for one model
and a different photo for another, so a raw threshold would have to be re-learnt per
model. The weights ship per model family, fitted on generated copies of known originals
(``bench/duplicates.py --fit``); an unknown family gets a prior whose shape is that of
the fitted ones, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

DEFAULT_MIN_CONFIDENCE = 0.5
"""Pairs at or above this confidence are reported (``--min-confidence``)."""


SHARP_EPSILON = 0.001


@dataclass(frozen=True)
class PairCalibration:
    """``confidence = sigmoid(cosine_weight · cosine + layout_weight · layout +
    sharp_weight · −ln(1.001 − layout) + shape_weight · gap + bias)``.

    The ``sharp`` term rewards thumbprints that agree almost exactly (a turned or
    re-encoded copy) far more than ones that merely look alike; ``gap`` is how far apart
    the two pictures' shapes are, ``|ln(w₁/h₁) ∓ ln(w₂/h₂)|`` (the smaller, so a quarter
    turn costs nothing): a copy keeps its shape, a look-alike usually does not. A pair
    without a thumbprint (an index made before thumbprints were stored, a video) is scored
    by ``sigmoid(alone_weight · cosine + alone_shape_weight · gap + alone_bias)``."""

    cosine_weight: float
    layout_weight: float
    sharp_weight: float
    shape_weight: float
    bias: float
    alone_weight: float
    alone_shape_weight: float
    alone_bias: float
    source: str

    def confidence(
        self,
        cosine: NDArray[np.floating],
        layout: NDArray[np.floating] | None,
        gap: NDArray[np.floating] | float = 0.0,
    ) -> NDArray[np.float64]:
        cosine = np.asarray(cosine, dtype=np.float64)
        alone = self.alone_weight * cosine + self.alone_shape_weight * gap + self.alone_bias
        if layout is None:
            logit = alone
        else:
            agreement = np.clip(np.nan_to_num(np.asarray(layout, dtype=np.float64)), -1, 1)
            both = (
                self.cosine_weight * cosine
                + self.layout_weight * agreement
                + self.sharp_weight * -np.log(SHARP_EPSILON + 1 - agreement)
                + self.shape_weight * gap
                + self.bias
            )
            logit = np.where(np.isnan(layout), alone, both)
        confidence: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))
        return confidence

    def cosine_floor(self, min_confidence: float) -> float:
        """The lowest cosine a pair can have and still reach ``min_confidence`` (with
        perfectly agreeing thumbprints and shapes, or by cosine and shape alone): where candidates
        start."""
        target = math.log(min_confidence / (1 - min_confidence))
        best = self.layout_weight + self.sharp_weight * -math.log(SHARP_EPSILON)
        with_layout = (target - best - self.bias) / self.cosine_weight
        alone = (target - self.alone_bias) / self.alone_weight
        return max(-1.0, min(with_layout, alone, 1.0))


DEMO_SHAPES = PairCalibration(
    cosine_weight=111.51,
    layout_weight=-2.47,
    sharp_weight=5.19,
    shape_weight=-85.58,
    bias=-111.27,
    alone_weight=112.46,
    alone_shape_weight=-138.49,
    alone_bias=-107.81,
    source="demo-shapes: fitted on 300 originals × 6 edited copies (seed 301)",
)
FAMILY_PAIR_CALIBRATIONS: dict[str, PairCalibration] = {"demo-shapes": DEMO_SHAPES}
PRIOR = replace(DEMO_SHAPES, source="prior, not fitted for this model: the demo-shapes weights")


def pair_calibration_for(model_id: str) -> PairCalibration:
    """The weights shipped for ``model_id``'s family, else the prior."""
    family = model_id.split(":")[0].rsplit("/", 1)[-1]
    return FAMILY_PAIR_CALIBRATIONS.get(family, PRIOR)
