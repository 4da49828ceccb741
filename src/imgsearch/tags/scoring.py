"""How sure a tag is: the confidence a search for the tag's phrase gives the picture.

A picture's tag confidence is exactly what ``imgsearch search "<phrase>"`` would say of
that picture (``docs/relevance.md``): its cosine with the phrase's vector (the best of the
whole picture and its regions), how unusual that cosine is for the phrase against the
collection's sample (its null), its best object box where the index has boxes, and —
for a closed-vocabulary model's phrases, which have rivals — whether what the phrase names
is in the collection at all (its lead). One calibration, one meaning: a tag at 0.8 is a
search hit at 0.8, and ``imgsearch evaluate --fit-calibration`` refits both.

What makes it fast enough to re-tag a collection without re-embedding it: each phrase's
null and lead are computed once, then every picture's evidence for every phrase comes
from matrix products over chunks of stored vectors (pictures × phrases), never from one
search per phrase.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from imgsearch.query.calibration import Calibration, Evidence, Lead
from imgsearch.query.confidence import Confidence, expected_max
from imgsearch.query.matching import NOT_THIS, query_lead
from imgsearch.store import Store
from imgsearch.store.records import OBJECT_SOURCES

MODALITY = "text"
"""A tag is asked as one text: the calibration's ``text`` weights judge it."""


@dataclass(frozen=True)
class TagScorer:
    """Everything about a vocabulary's phrases that does not depend on the picture."""

    tags: tuple[str, ...]
    vectors: NDArray[np.float32]
    """One unit vector per phrase (asked through the vocabulary's template), ``(T, d)``."""
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    population: int
    leads: tuple[Lead | None, ...]
    rivals: tuple[NDArray[np.int64], ...]
    """Per phrase, the rows of :attr:`rival_vectors` that rival it (empty: none)."""
    rival_vectors: NDArray[np.float32]
    calibration: Calibration
    objects: bool
    """Whether pictures' object boxes are evidence (the calibration weighs them)."""

    @classmethod
    def prepare(
        cls,
        store: Store,
        confidence: Confidence,
        tags: Sequence[str],
        vectors: NDArray[np.float32],
        rivals_of: Callable[[int], Sequence[str]],
        text_vectors: Callable[[Sequence[str]], NDArray[np.float32]],
    ) -> TagScorer | None:
        """The scorer of ``tags`` (their ``vectors``, in order); ``rivals_of(n)``: the
        rival texts of phrase ``n`` (as search finds them), embedded by ``text_vectors``.
        ``None`` when the collection is too small to tell what "no match" looks like (as
        search then gives no confidence)."""
        vectors = np.asarray(vectors, np.float32)
        sample = confidence.sample(store, vectors.shape[1])
        nulls = [confidence.null(store, vector) for vector in vectors]
        if not tags or any(null is None for null in nulls):
            return None
        known = [n for n in nulls if n is not None]
        rival_texts: list[str] = []
        where: dict[str, int] = {}
        per_tag: list[NDArray[np.int64]] = []
        for n in range(len(tags)):
            listed = []
            for text in rivals_of(n):
                if text not in where:
                    where[text] = len(rival_texts)
                    rival_texts.append(text)
                listed.append(where[text])
            per_tag.append(np.asarray(listed, np.int64))
        dim = vectors.shape[1]
        rival_vectors = (
            np.asarray(text_vectors(rival_texts), np.float32)
            if rival_texts
            else np.empty((0, dim), np.float32)
        )
        leads: list[Lead | None] = []
        for vector, rows in zip(vectors, per_tag, strict=True):
            found = query_lead(store, vector, rival_vectors[rows]) if len(rows) else None
            leads.append(None if found is None else Lead(found.value, sample.population))
        return cls(
            tags=tuple(tags),
            vectors=vectors,
            mean=np.asarray([n.mean for n in known]),
            std=np.asarray([n.std for n in known]),
            population=known[0].population,
            leads=tuple(leads),
            rivals=tuple(per_tag),
            rival_vectors=rival_vectors,
            calibration=confidence.calibration,
            objects=confidence.calibration.uses_objects(MODALITY),
        )

    def confidences(self, store: Store, ids: Sequence[int]) -> NDArray[np.float32]:
        """``(len(ids), T)``: each picture's confidence for each phrase."""
        if not ids:
            return np.empty((0, len(self.tags)), np.float32)
        cosines = np.asarray(store.vectors(ids), np.float32) @ self.vectors.T
        records = store.regions.of(list(ids))
        boxes = np.full(cosines.shape, math.nan, np.float64)
        if records:
            row_of = {image_id: n for n, image_id in enumerate(ids)}
            owners = np.asarray([row_of[r.image_id] for r in records], np.int64)
            region_vectors = np.asarray(store.regions.vectors([r.id for r in records]), np.float32)
            region_cosines = region_vectors @ self.vectors.T
            np.maximum.at(cosines, owners, region_cosines)  # best of whole and regions
            is_object = np.asarray([r.region.source in OBJECT_SOURCES for r in records])
            if self.objects and is_object.any():
                boxes = self._object_evidence(
                    cosines.shape, owners[is_object], region_vectors[is_object],
                    region_cosines[is_object],
                )  # fmt: skip
        return self._judged(cosines, boxes, self.leads)

    def confidences_of(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """``(len(vectors), T)``: the confidences pictures outside the collection (an
        uploaded one: ``imgsearch classify``) would get if they were in it — whole
        pictures, no boxes; a phrase's lead is the collection's or the picture's own,
        whichever is more (the lead the collection would have with it)."""
        vectors = np.asarray(vectors, np.float32)
        cosines = vectors @ self.vectors.T
        boxes = np.full(cosines.shape, math.nan, np.float64)
        out = np.empty(cosines.shape, np.float32)
        rival_cosines = vectors @ self.rival_vectors.T if len(self.rival_vectors) else None
        for row in range(len(vectors)):
            leads = list(self.leads)
            for n, rows in enumerate(self.rivals):
                lead = leads[n]
                if lead is not None and rival_cosines is not None and len(rows):
                    own = float(cosines[row, n] - rival_cosines[row, rows].max())
                    leads[n] = Lead(max(lead.value, own), lead.pictures)
            out[row] = self._judged(cosines[row : row + 1], boxes[row : row + 1], leads)[0]
        return out

    def _judged(
        self,
        cosines: NDArray[np.float32],
        boxes: NDArray[np.float64],
        leads: Sequence[Lead | None],
    ) -> NDArray[np.float32]:
        """Confidences from each picture's best cosines and object evidence per phrase."""
        excess = (cosines - self.mean) / self.std - expected_max(self.population)
        out = np.empty(cosines.shape, np.float32)
        for n in range(len(self.tags)):
            evidence = Evidence.of(excess[:, n], cosines[:, n], boxes[:, n])
            out[:, n] = self.calibration.probability(MODALITY, evidence, lead=leads[n])
        return out

    def _object_evidence(
        self,
        shape: tuple[int, ...],
        owners: NDArray[np.int64],
        vectors: NDArray[np.float32],
        cosines: NDArray[np.float32],
    ) -> NDArray[np.float64]:
        """Each picture's best object-box cosine per phrase (NaN: no box), a box that one
        of the phrase's rivals describes better counting as :data:`NOT_THIS`
        (:func:`imgsearch.query.matching.object_cosines`)."""
        evidence = np.asarray(cosines, np.float64).copy()
        if len(self.rival_vectors):
            rival_cosines = vectors @ self.rival_vectors.T
            for n, rows in enumerate(self.rivals):
                if len(rows):
                    beaten = rival_cosines[:, rows].max(axis=1) > cosines[:, n]
                    evidence[beaten, n] = NOT_THIS
        best = np.full(shape, -np.inf, np.float64)
        np.maximum.at(best, owners, evidence)
        best[np.isinf(best)] = math.nan
        return best
