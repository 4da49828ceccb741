"""Calibration: from what a hit's scores say to how likely it is a real match.

A hit's confidence combines three kinds of evidence (``docs/relevance.md``):

- ``excess`` (relative): how unusual the hit's cosine is for this query against this
  collection — its z-score over the query's null, less the largest z-score that chance
  reaches among as many images (:mod:`imgsearch.query.confidence`). The top of any
  query's scores is unusual, so on its own it cannot tell a query with no true match
  from one with many.
- ``cosine`` (absolute): what the model's cosine means whatever the collection — how often
  a cosine this high has been a true match of this model in labelled queries. It anchors
  the confidence: hits that look like no true match this model has ever produced get a
  low confidence however they rank.
- ``objects``: for a picture with object boxes (imported or detected), the best cosine
  among its boxes. Whole-picture vectors mix the attributes of everything in them (a red
  cross beside a green star looks like "red star"); an object's own vector binds its
  colour to its shape, so an absent combination is absent from every box. A box that a
  *rival* text describes better than the query (the query with one word swapped within
  its slot of the model's vocabulary: "red cross" for "red star") counts as cosine −1
  (:func:`imgsearch.query.matching.object_cosines`).

::

    confidence = sigmoid(w_excess * excess + w_cosine * cosine + w_objects * objects + b)
                 * presence(lead, pictures)

``presence`` (a :class:`Presence`) answers a question about the query, not the hit: is
what it names in this collection at all? Its evidence is the query's **lead** over its
rivals (:func:`imgsearch.query.matching.query_lead`): among the pictures (and object
boxes) nearest the query, the most that the query describes one of them better than any
rival text does. A model that confuses two shapes ranks crosses first for "star" in a
collection without stars, with cosines as high as true stars get, and every per-hit
feature looks like a match; but no cross is described by "star" better than by "cross",
so the lead stays near zero, while a collection with stars holds some picture that
"star" describes clearly best. A bigger collection holds more near misses, and its best
one leads by more by chance: the presence weighs the collection's size too (as the
excess weighs the expected chance maximum). The hit's weights are then fitted on the queries whose
concept is present (the chain rule: P(match) = P(present) · P(match | present)). Only
queries with rivals have a lead (a closed-vocabulary model's one-text queries); the
others are judged as if present.

One set of weights (a :class:`Platt` map) per **query kind** — ``text`` (one text),
``image`` (one example image or box), ``mix`` (several parts) — and per **what is judged**: ``image`` (whole
pictures, a video's frames, a PDF's pages), ``objects`` (pictures that have object boxes:
the same plus ``w_objects``) and ``region`` (boxes as the hits of an object search). A key
a calibration has no weights for uses its ``fallback``. Weights are never negative, so
confidence never falls as the cosine rises: a cut-off keeps the best of a query's hits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.models.catalog import catalog
from imgsearch.query.logistic import fit_logistic
from imgsearch.query.presence import MIN_LEADS, Lead, Presence, fit_presence

__all__ = [
    "MIN_LEADS",
    "Lead",
    "Presence",
    "fit_presence",
]  # re-exported: one home for calibrations

FEATURES = ("excess", "cosine", "objects")
MODALITIES = ("text", "image", "mix")
TARGETS = ("image", "objects", "region")
MIN_PAIRS = 200
"""Fewest judged pairs (with both right and wrong answers among them) a calibration key is
fitted from; keys with fewer keep the weights they had."""


def key(modality: str, target: str) -> str:
    """The name of one set of weights: ``text/image``, ``image/region``, …"""
    return f"{modality}/{target}"


@dataclass(frozen=True)
class Evidence:
    """What the confidences of some hits are computed from, one entry per hit."""

    excess: NDArray[np.float64]
    cosine: NDArray[np.float64]
    objects: NDArray[np.float64]
    """The best cosine among the picture's object boxes; NaN where it has none."""

    @classmethod
    def of(
        cls,
        excess: Sequence[float] | NDArray[np.floating[Any]],
        cosine: Sequence[float] | NDArray[np.floating[Any]],
        objects: Sequence[float] | NDArray[np.floating[Any]] | None = None,
    ) -> Evidence:
        x = np.asarray(excess, np.float64)
        c = np.asarray(cosine, np.float64)
        o = np.full(len(c), np.nan) if objects is None else np.asarray(objects, np.float64)
        if not len(x) == len(c) == len(o):
            raise ValueError("evidence arrays differ in length")
        return cls(x, c, o)

    @classmethod
    def joined(cls, parts: Iterable[Evidence]) -> Evidence:
        items = list(parts)
        if not items:
            return cls.of([], [])
        return cls(
            np.concatenate([e.excess for e in items]),
            np.concatenate([e.cosine for e in items]),
            np.concatenate([e.objects for e in items]),
        )

    def __len__(self) -> int:
        return len(self.cosine)

    @property
    def has_objects(self) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = np.isfinite(self.objects)
        return result

    def subset(self, chosen: NDArray[np.bool_]) -> Evidence:
        return Evidence(self.excess[chosen], self.cosine[chosen], self.objects[chosen])

    def matrix(self, features: Sequence[str]) -> NDArray[np.float64]:
        """Columns for ``features`` (NaN objects read as 0: such hits use weights without)."""
        columns = {"excess": self.excess, "cosine": self.cosine, "objects": self.objects}
        return np.stack([np.nan_to_num(columns[f], nan=0.0) for f in features], axis=1)


@dataclass(frozen=True)
class Platt:
    """One logistic map from evidence to probability (Platt scaling with features)."""

    weights: Mapping[str, float]
    intercept: float

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown or any(not math.isfinite(w) or w < 0 for w in self.weights.values()):
            raise ValueError(f"calibration weights must be ≥ 0 for {FEATURES}: {self.weights}")

    def logit(self, evidence: Evidence) -> NDArray[np.float64]:
        features = list(self.weights)
        weights = np.array([self.weights[f] for f in features], np.float64)
        result: NDArray[np.float64] = evidence.matrix(features) @ weights + self.intercept
        return result

    def as_dict(self) -> dict[str, float]:
        return {**self.weights, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Platt:
        weights = {f: float(stored[f]) for f in FEATURES if f in stored}
        return cls(weights, float(stored["intercept"]))

    def describe(self) -> str:
        terms = " + ".join(f"{w:.3g}·{f}" for f, w in self.weights.items() if w)
        return f"{terms or '0'} {'+' if self.intercept >= 0 else '−'} {abs(self.intercept):.3g}"


@dataclass(frozen=True)
class Calibration:
    """Weights per query kind and target (:func:`key`), and a fallback for the others."""

    fallback: Platt
    fitted_on: str
    """What the numbers were fitted on (or where they come from), shown by ``imgsearch
    status`` and the docs."""
    models: Mapping[str, Platt] = field(default_factory=dict)
    presence: Presence | None = None
    """Whether a query's concept is here at all, from its lead (``None``: not weighed)."""

    def model(self, modality: str, target: str) -> Platt:
        return self.models.get(key(modality, target), self.fallback)

    def probability(
        self,
        modality: str,
        evidence: Evidence,
        *,
        region: bool = False,
        lead: Lead | None = None,
    ) -> NDArray[np.float64]:
        """Each hit's confidence: ``region`` for boxes as hits (an object search); else a
        picture with object boxes is judged with the ``objects`` weights, one without with
        the ``image`` ones. ``lead``: the query's lead over its rivals (``None``: it has
        none), weighed by :attr:`presence`."""
        if region:
            logit = self.model(modality, "region").logit(evidence)
        else:
            logit = self.model(modality, "image").logit(evidence)
            boxed = evidence.has_objects
            if boxed.any():
                with_objects = self.model(modality, "objects").logit(evidence)
                logit = np.where(boxed, with_objects, logit)
        result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(logit, -60.0, 60.0)))
        if lead is not None and self.presence is not None:
            result = result * self.presence.probability(lead)
        return result

    def uses_objects(self, modality: str) -> bool:
        """Whether the confidences of this query kind look at pictures' object boxes."""
        return bool(self.model(modality, "objects").weights.get("objects"))

    def as_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "fitted_on": self.fitted_on,
            "fallback": self.fallback.as_dict(),
            "models": {name: model.as_dict() for name, model in sorted(self.models.items())},
        }
        if self.presence is not None:
            stored["presence"] = self.presence.as_dict()
        return stored

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Calibration:
        """A calibration as :meth:`as_dict` wrote it, or as imgsearch stored one before
        there were features (``slope`` and ``intercept`` on the excess alone)."""
        if "slope" in stored:
            old = Platt({"excess": float(stored["slope"])}, float(stored["intercept"]))
            return cls(old, str(stored["fitted_on"]))
        presence = stored.get("presence")
        return cls(
            Platt.from_dict(stored["fallback"]),
            str(stored["fitted_on"]),
            {name: Platt.from_dict(m) for name, m in dict(stored.get("models", {})).items()},
            Presence.from_dict(presence) if presence else None,
        )

    def describe(self) -> list[str]:
        """One line per set of weights, as ``imgsearch status`` and ``evaluate`` print them."""
        lines = [f"{name}: {model.describe()}" for name, model in sorted(self.models.items())]
        if self.presence is not None:
            lines.append(f"presence (× each): {self.presence.describe()}")
        return [*lines, f"otherwise: {self.fallback.describe()}"]


PRIOR = Calibration(
    Platt({"excess": 4.0}, -2.4),
    "prior, not fitted for this model: even odds 0.6 above the expected chance maximum, "
    "about where 9 in 10 sets of unrelated images stay below; refit with imgsearch "
    "evaluate --fit-calibration",
)


def fit_platt(
    evidence: Evidence, relevant: NDArray[np.bool_], features: Sequence[str] = ("excess",)
) -> Platt:
    """The weights that make ``relevant`` likeliest given ``evidence`` (logistic regression
    by Newton's method, with a whisper of L2 so that perfectly separated labels still give
    finite numbers). A feature whose weight comes out negative is left out and the rest
    fitted again: more evidence never lowers a confidence."""
    y = np.asarray(relevant, np.float64)
    if len(y) != len(evidence) or not 0 < y.sum() < len(y):
        raise ValueError("fitting a calibration needs both relevant and irrelevant pairs")
    kept = [f for f in features if f != "objects" or evidence.has_objects.all()]
    while True:
        design = np.concatenate([evidence.matrix(kept), np.ones((len(y), 1))], axis=1)
        weights = fit_logistic(design, y)
        negative = [f for f, w in zip(kept, weights, strict=False) if w < 0]
        if not negative:
            return Platt(dict(zip(kept, map(float, weights), strict=False)), float(weights[-1]))
        kept = [f for f in kept if f not in negative]


TARGET_FEATURES = {
    "image": ("excess", "cosine"),
    "objects": ("excess", "cosine", "objects"),
    "region": ("excess", "cosine"),
}


def fit_calibration(
    pairs: Mapping[str, tuple[Evidence, NDArray[np.bool_]]],
    fitted_on: str,
    base: Calibration = PRIOR,
    leads: tuple[Sequence[Lead], NDArray[np.bool_]] | None = None,
) -> Calibration:
    """A calibration fitted to judged pairs grouped by :func:`key`: each key with
    :data:`MIN_PAIRS` pairs, right and wrong among them, gets its own weights (its
    target's features); the fallback is fitted on the excess of every pair. Keys with too
    few pairs keep ``base``'s weights. ``leads``: the lead of every query that has one and
    whether its concept is present, for the :class:`Presence` (else ``base``'s is kept);
    the pairs of a query with a lead and no relevant picture belong there, not in
    ``pairs`` (the hit's weights are P(match | present))."""
    everything = Evidence.joined(e for e, _ in pairs.values())
    relevant = np.concatenate([r for _, r in pairs.values()]) if pairs else np.zeros(0, bool)
    fallback = fit_platt(everything, relevant)
    models = dict(base.models)
    for name, (evidence, right) in pairs.items():
        target = name.split("/")[1]
        if len(right) >= MIN_PAIRS and 0 < int(right.sum()) < len(right):
            models[name] = fit_platt(evidence, right, TARGET_FEATURES[target])
    presence = (fit_presence(*leads) if leads is not None else None) or base.presence
    return Calibration(fallback, fitted_on, models, presence)


def shipped_calibration(model_id: str) -> Calibration:
    """The calibration shipped for ``model_id``'s family: the catalog entry whose name (or
    hub repository's name) the model id names carries it; others get :data:`PRIOR`."""
    family = model_id.split(":")[0].rsplit("/", 1)[-1].lower()
    for spec in catalog():
        names = {spec.name, (spec.hub_repo or "").rsplit("/", 1)[-1].lower()}
        if family in names and spec.calibration is not None:
            return Calibration.from_dict(spec.calibration)
    return PRIOR


def calibration_for(model_id: str, stored: Mapping[str, Any] | None = None) -> Calibration:
    """The calibration an index of ``model_id`` uses: the one fitted for it and ``stored``
    with it (``imgsearch evaluate --fit-calibration``; ignored once the index has another
    model), else the one shipped for the model's family, else the prior."""
    if stored and stored.get("model_id") == model_id:
        return Calibration.from_dict(stored)
    return shipped_calibration(model_id)
