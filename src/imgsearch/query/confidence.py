"""Confidence: how likely a hit is a real match, comparable across queries and models.

A raw cosine means different things in different queries: text-to-image cosines of a
CLIP model sit around 0.2–0.35, image-to-image ones around 0.6–0.95, and one query's
0.30 is a match while another's is noise. Part of what carries over is how *unusual* a
hit's cosine is for this query against this collection. So every query is also scored
against a fixed sample of the collection (:class:`Sample`: up to ``SAMPLE_SIZE`` images
chosen by a hash of their id, so the same images are chosen every time and the sample
only changes as much as the collection does), matched the same way as the query (best of
whole image and regions, the same label and source restrictions; regions themselves for
object searches). Almost all of the sample is unrelated to any one query, so its scores
describe what "no match" looks like for this query::

    z          = (cosine - mean) / std                 # the query's null, from its sample scores
    excess     = z - expected_max(N)                   # N: images (or regions) searched

``mean`` and ``std`` are those of the normal distribution that the lowest 95 % of the
sample scores come from (so that the query's own matches in the sample do not widen it);
``expected_max(N)`` (about ``sqrt(2 ln N)``) is the largest ``z`` that ``N`` unrelated
images reach by chance, so a bigger collection needs a more unusual cosine for the same
confidence. The top of any query's scores is unusual, though, also for a query whose
concept the collection does not hold: the :class:`~imgsearch.query.calibration.Calibration`
weighs the excess together with what the cosine means for this model whatever the
collection, and with a picture's best object box (see :mod:`imgsearch.query.calibration`).

Assumptions (stated in ``docs/relevance.md``): matches are a small part of the sample
(a query that matches most of the collection gets low confidences for all of it), and
the sample is large enough to estimate a mean and a spread (``MIN_NULL`` scores).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from imgsearch.query.calibration import Calibration, Evidence, Lead
from imgsearch.store import Store

SAMPLE_SIZE = 1024
"""Images in a collection's sample (all of them in a smaller collection)."""
SAMPLE_MAX_AGE = 60.0
"""Seconds a sample is used before the store is asked again whether it changed."""
MIN_NULL = 32
"""Fewest sample scores a query's null is estimated from; with fewer (a label filter that
few sample images pass), the sample's unrestricted scores are used."""
TRIM = 0.05
"""The highest share of a query's sample scores left out of its null: a query's real
matches in the sample would widen it (up to this share of the collection, they do not)."""
# A normal distribution without its top 5 %: its mean is 0.1086 and its deviation 0.8996
# of the whole one's (truncated-normal moments at the 95th percentile, z = 1.6449).
_TRIMMED_MEAN_SHIFT = 0.1086
_TRIMMED_STD_RATIO = 0.8996
EULER_GAMMA = 0.5772156649
AUTO_CONFIDENCE = 0.5
"""The automatic cut-off: hits less likely to be a match than not are dropped."""


@dataclass(frozen=True)
class Judgement:
    """What a query's confidences rest on, which every edge says beside its hits: whether
    there are any, and the cut applied."""

    judged: bool = True
    """Whether the hits have a confidence; ``False``: the collection (or the part of it
    the query searches) is too small to tell what "no match" looks like."""
    cut: float | None = None
    """The confidence cut-off applied (``None``: none)."""
    note: str | None = None
    """Why there is no confidence or no cut, in words for people (``None``: as asked)."""

    @classmethod
    def too_few(cls, count: int, things: str) -> Judgement:
        """No confidence: only ``count`` sample scores of ``things`` (images, boxes)."""
        return cls(
            False,
            None,
            f"too few {things} to judge confidence ({count} < {MIN_NULL}); no cut applied",
        )


def expected_max(population: int) -> float:
    """The expected largest of ``population`` standard normal draws: the z-score the best
    of that many unrelated items reaches by chance (the Gumbel limit, whose location is
    ``sqrt(2 ln N)`` less a correction, plus Euler's constant times its scale)."""
    if population < 2:
        return 0.0
    root = math.sqrt(2 * math.log(population))
    location = root - (math.log(math.log(population)) + math.log(4 * math.pi)) / (2 * root)
    return location + EULER_GAMMA / root


@dataclass(frozen=True)
class Null:
    """One query's scores when nothing matches: their mean and spread, and how many items
    the query searches."""

    mean: float
    std: float
    population: int

    def excess(self, cosines: NDArray[np.float64] | Sequence[float]) -> NDArray[np.float64]:
        z = (np.asarray(cosines, dtype=np.float64) - self.mean) / self.std
        result: NDArray[np.float64] = z - expected_max(self.population)
        return result

    @classmethod
    def of(cls, scores: NDArray[np.float32], population: int) -> Null:
        """The normal distribution the lower 95 % of ``scores`` come from."""
        kept = np.sort(np.asarray(scores, np.float64))[: max(2, int(len(scores) * (1 - TRIM)))]
        std = max(float(np.std(kept)), 1e-6) / _TRIMMED_STD_RATIO
        mean = float(np.mean(kept)) + _TRIMMED_MEAN_SHIFT * std
        return cls(mean, std, max(population, 1))


@dataclass(frozen=True)
class Sample:
    """A collection's sample: images' whole vectors and their regions' vectors.

    ``owners[j]`` is the position in ``ids`` of region ``j``'s image.
    """

    ids: tuple[int, ...]
    whole: NDArray[np.float32]
    owners: NDArray[np.int64]
    sources: tuple[str, ...]
    labels: tuple[str | None, ...]
    regions: NDArray[np.float32]
    population: int
    """Images with a vector in the whole collection."""
    region_population: int
    """Regions in the whole collection, estimated from the sample."""

    def image_scores(
        self,
        vector: NDArray[np.float32],
        *,
        regions: bool = True,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> NDArray[np.float32]:
        """Each sample image's best cosine, matched as the query matches images."""
        if not self.ids:  # an empty collection: its (0, 0) matrix has no width to match
            return np.empty(0, np.float32)
        restricted = bool(labels or sources)
        best = np.full(len(self.ids), -np.inf, np.float32)
        if not restricted:
            best = self.whole @ vector
        if regions and len(self.owners):
            keep = self._selected(labels, sources)
            region_scores = self.regions[keep] @ vector
            np.maximum.at(best, self.owners[keep], region_scores)
        scores: NDArray[np.float32] = best[np.isfinite(best)]
        return scores

    def region_scores(
        self,
        vector: NDArray[np.float32],
        *,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> NDArray[np.float32]:
        """The cosines of the sample's regions an object search could return."""
        if not len(self.owners):
            return np.empty(0, np.float32)
        scores: NDArray[np.float32] = self.regions[self._selected(labels, sources)] @ vector
        return scores

    def _selected(self, labels: Sequence[str], sources: Sequence[str]) -> NDArray[np.bool_]:
        keep = np.ones(len(self.owners), bool)
        if sources:
            keep &= np.isin(np.asarray(self.sources, dtype=object), list(sources))
        if labels:
            keep &= np.isin(np.asarray(self.labels, dtype=object), list(labels))
        return keep


def load_sample(store: Store, size: int = SAMPLE_SIZE) -> Sample:
    """Read ``store``'s sample: the ``size`` images first in hash-of-id order, with their
    regions."""
    ids, population = store.sample_images(size)
    whole = store.vectors(ids) if ids else np.empty((0, 0), np.float32)
    records = store.regions.of(ids) if ids else []
    position = {image_id: n for n, image_id in enumerate(ids)}
    records = [r for r in records if r.image_id in position]
    regions = (
        store.regions.vectors([r.id for r in records])
        if records
        else np.empty((0, whole.shape[1] if whole.ndim == 2 else 0), np.float32)
    )
    per_image = len(records) / len(ids) if ids else 0.0
    return Sample(
        ids=tuple(ids),
        whole=np.asarray(whole, np.float32),
        owners=np.asarray([position[r.image_id] for r in records], np.int64),
        sources=tuple(r.region.source for r in records),
        labels=tuple(r.region.label for r in records),
        regions=np.asarray(regions, np.float32),
        population=population,
        region_population=round(per_image * population),
    )


def sample_key(image_id: int) -> int:
    """The hash that orders images for the sample (:data:`imgsearch.store.core.SAMPLE_ORDER`
    computes it in the stores' SQL): 31-bit, so that no product overflows a bigint."""
    return ((image_id % 2147483648) * 1103515245 + 12345) % 2147483648


class Confidence:
    """Confidences for one index: its sample (refreshed as it changes) and calibration."""

    def __init__(
        self,
        calibration: Calibration,
        *,
        size: int = SAMPLE_SIZE,
        max_age: float = SAMPLE_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
        recalibrate: Callable[[], Calibration] | None = None,
    ) -> None:
        """``recalibrate``: read the calibration again whenever the sample is (one fitted
        by another process, e.g. ``imgsearch evaluate --fit-calibration`` while a server
        runs, is used from its next sample refresh)."""
        self.calibration = calibration
        self._recalibrate = recalibrate
        self._size = size
        self._max_age = max_age
        self._clock = clock
        self._sample: Sample | None = None
        self._loaded_at = -math.inf
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget the sample (the index was just written): the next query reads it again."""
        with self._lock:
            self._loaded_at = -math.inf

    def sample(self, store: Store, dim: int | None = None) -> Sample:
        """The collection's sample, read again once it is older than ``max_age``, while it
        is empty, or when its vectors are not ``dim``-d (the index was re-embedded with
        another model)."""
        with self._lock:
            sample = self._sample
            # An empty sample is read again every time (cheap): the index's first run fills it.
            stale = (
                sample is None or not sample.ids or self._clock() - self._loaded_at > self._max_age
            )
            if not stale and dim is not None and sample is not None:
                stale = sample.whole.shape[1] != dim
            if stale or sample is None:
                sample = self._sample = load_sample(store, self._size)
                self._loaded_at = self._clock()
                if self._recalibrate is not None:
                    self.calibration = self._recalibrate()
            return sample

    def null(
        self,
        store: Store,
        vector: NDArray[np.float32],
        *,
        objects: bool = False,
        regions: bool = True,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> Null | None:
        """The query's null, or ``None`` when the collection is too small to tell."""
        sample = self.sample(store, len(vector))
        if objects:
            scores = sample.region_scores(vector, labels=labels, sources=sources)
            if len(scores) < MIN_NULL:
                scores = sample.region_scores(vector)
            population = sample.region_population
        else:
            scores = sample.image_scores(vector, regions=regions, labels=labels, sources=sources)
            if len(scores) < MIN_NULL:
                scores = sample.image_scores(vector, regions=regions)
            population = sample.population
        if len(scores) < MIN_NULL:
            return None
        return Null.of(scores, population)

    def probability(
        self,
        modality: str,
        null: Null | None,
        cosines: Sequence[float],
        objects: Sequence[float] | None = None,
        *,
        region: bool = False,
        lead: Lead | None = None,
    ) -> list[float | None]:
        """The confidences of hits with ``cosines`` for a query of ``modality`` (``text``,
        ``image``, ``mix``) whose null is ``null`` (``None``: too few to tell, no
        confidence); ``objects``: each picture's best object-box cosine (NaN: none);
        ``region``: the hits are boxes (an object search); ``lead``: the query's lead over
        its rivals (``None``: it has none)."""
        if null is None:
            return [None] * len(cosines)
        evidence = Evidence.of(null.excess(cosines), cosines, objects)
        judged = self.calibration.probability(modality, evidence, region=region, lead=lead)
        return [float(p) for p in judged]
