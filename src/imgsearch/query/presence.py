"""Presence: whether what a query names is in the collection at all, from the query's lead
over its rivals (see :mod:`imgsearch.query.calibration`, whose :class:`Calibration` holds
one, and :func:`imgsearch.query.matching.query_lead`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.query.logistic import fit_logistic

MIN_LEADS = 20
"""Fewest queries with a lead (some whose concept is present, some absent) the presence is
fitted from; with fewer it keeps the one it had."""


@dataclass(frozen=True)
class Lead:
    """A query's lead over its rivals (:func:`imgsearch.query.matching.query_lead`) and
    how many pictures the collection holds: a bigger one holds more near misses, so its
    best one leads by more by chance."""

    value: float
    pictures: int


@dataclass(frozen=True)
class Presence:
    """How likely what a query names is in the collection at all, from its :class:`Lead`:
    ``sigmoid(lead · value + size · ln(pictures) + intercept)``. ``lead`` is never
    negative (a clearer lead never means less presence), ``size`` never positive (the
    same lead in a bigger collection is less telling). ``up_to``: the largest collection
    it was fitted on; a bigger one counts as that big (leads stop growing with size once
    a collection holds clear pictures of what it holds, and a size term carried on past
    what was measured would end up doubting every concept)."""

    lead: float
    size: float
    intercept: float
    up_to: int | None = None

    def __post_init__(self) -> None:
        finite = all(math.isfinite(x) for x in (self.lead, self.size, self.intercept))
        if not finite or self.lead < 0 or self.size > 0 or (self.up_to or 1) < 1:
            raise ValueError(
                f"a presence needs a lead weight ≥ 0 and a size weight ≤ 0: {self.as_dict()}"
            )

    def logit(self, lead: Lead) -> float:
        pictures = max(min(lead.pictures, self.up_to or lead.pictures), 1)
        return self.lead * lead.value + self.size * math.log(pictures) + self.intercept

    def probability(self, lead: Lead) -> float:
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, self.logit(lead)))))

    def as_dict(self) -> dict[str, float]:
        stored = {"lead": self.lead, "log_pictures": self.size, "intercept": self.intercept}
        return stored if self.up_to is None else {**stored, "up_to_pictures": self.up_to}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Presence:
        up_to = stored.get("up_to_pictures")
        return cls(
            float(stored["lead"]),
            float(stored.get("log_pictures", 0.0)),
            float(stored["intercept"]),
            None if up_to is None else int(up_to),
        )

    def describe(self) -> str:
        terms = f"{self.lead:.3g}·lead"
        if self.size:
            terms += f" − {-self.size:.3g}·ln(pictures"
            terms += f", at most {self.up_to:,})" if self.up_to else ")"
        return f"{terms} {'+' if self.intercept >= 0 else '−'} {abs(self.intercept):.3g}"


def fit_presence(leads: Sequence[Lead], present: NDArray[np.bool_]) -> Presence | None:
    """The presence that makes ``present`` (whether each query has a relevant picture)
    likeliest given the queries' ``leads``; ``None`` from fewer than :data:`MIN_LEADS`
    queries, from queries all present or all absent, or when a higher lead would mean
    less presence. The collection's size is weighed only where it makes a bigger
    collection ask for a clearer lead (leads from collections of several sizes)."""
    y = np.asarray(present, np.float64)
    if len(y) < MIN_LEADS or len(y) != len(leads) or not 0 < y.sum() < len(y):
        return None
    value = np.array([lead.value for lead in leads], np.float64)
    size = np.log(np.maximum([lead.pictures for lead in leads], 1)).astype(np.float64)
    ones = np.ones(len(y))
    if len(np.unique(size)) > 1:
        weights = fit_logistic(np.stack([value, size, ones], axis=1), y)
        if weights[0] >= 0 and weights[1] <= 0:
            largest = max(lead.pictures for lead in leads)
            return Presence(float(weights[0]), float(weights[1]), float(weights[2]), largest)
    weight, intercept = fit_logistic(np.stack([value, ones], axis=1), y)
    return Presence(float(weight), 0.0, float(intercept)) if weight >= 0 else None
