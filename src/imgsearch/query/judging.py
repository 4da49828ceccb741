"""A query's judging: what "no match" looks like for it (its null), the cut-off it asked
for, and how sure each of its hits is — a picture, a part of a many-part item, or a box
as the hit of an object search (:mod:`imgsearch.query.confidence`,
:mod:`imgsearch.query.calibration`). :mod:`imgsearch.query.ranking` asks; every edge gets
the answers from there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from imgsearch.query.calibration import Lead
from imgsearch.query.confidence import AUTO_CONFIDENCE, Confidence, Judgement, Null
from imgsearch.query.expression import Query
from imgsearch.query.fusion import WORDS_MIN
from imgsearch.query.matching import NOT_THIS, object_cosines, query_lead
from imgsearch.query.vocabulary import Rivals
from imgsearch.store import Store

WORDS_KEEP = WORDS_MIN
"""BM25 score of the query's words in a hit's metadata text from which a confidence
cut-off keeps the hit whatever its cosine (the score from which words count in the
relevance: :data:`imgsearch.query.fusion.WORDS_MIN`)."""


def query_null(
    store: Store, vector: NDArray[np.float32], query: Query, confidence: Confidence
) -> Null | None:
    """What "no match" looks like for ``query``: its scores against the index's sample,
    matched as the query matches (see :mod:`imgsearch.query.confidence`)."""
    return confidence.null(
        store,
        vector,
        objects=query.objects,
        regions=query.regions,
        labels=query.labels,
        sources=query.sources,
    )


def _absent(query: Query, rivals: Rivals, beaten_by: int | None) -> str:
    """Why a query's concept seems absent, in words for people: the picture nearest it is
    better described by a rival, or nothing is described by it clearly best."""
    text = next((part.text for part in query.parts if part.text), "")
    if beaten_by is not None:
        said = f"nothing here is described by “{text}” better than by “{rivals.texts[beaten_by]}”"
    else:
        said = f"nothing here is described by “{text}” clearly better than by similar words"
    return f"{said}: what it names seems not to be in this collection"


@dataclass(frozen=True)
class Judge:
    """A query's confidences: its null, the cut-off, and what its hits are judged by."""

    confidence: Confidence | None
    null: Null | None
    cut: float | None
    modality: str = "text"
    objects: bool = False
    """Whether pictures' object boxes are evidence (the calibration weighs them)."""
    readable: bool = True
    judgement: Judgement = field(default_factory=Judgement)
    rivals: Rivals | None = None
    lead: Lead | None = None
    """The query's lead over its rivals (:func:`~imgsearch.query.matching.query_lead`;
    ``None``: it has none): whether what it names is here at all."""

    @classmethod
    def of(
        cls,
        store: Store,
        vector: NDArray[np.float32],
        query: Query,
        confidence: Confidence | None,
        *,
        readable: bool = True,
        rivals: Rivals | None = None,
    ) -> Judge:
        if confidence is None:
            return cls(None, None, None)
        wanted = AUTO_CONFIDENCE if query.min_confidence == "auto" else query.min_confidence
        # every hit of a contains-text filter shows the words the user asked for: that is
        # evidence enough, whatever the picture's cosine says
        cut = None if query.filters.contains_text else wanted or None
        note = None
        if cut is None and wanted:
            note = "a text filter is not cut: every hit shows the words asked for"
        modality = query.modality
        if not readable:  # confidence 0: any cut above 0 keeps only hits kept by words
            said = Judgement(True, cut, note)
            return cls(confidence, None, cut, modality, readable=False, judgement=said)
        null = query_null(store, vector, query, confidence)
        if null is None:
            sample = confidence.sample(store, len(vector))
            if query.objects:
                too_few = Judgement.too_few(sample.region_population, "boxes")
            else:
                too_few = Judgement.too_few(sample.population, "images")
            return cls(confidence, None, None, modality, judgement=too_few)
        objects = query.regions and confidence.calibration.uses_objects(modality)
        found = query_lead(
            store,
            vector,
            None if rivals is None else rivals.vectors,
            exact=query.exact,
            labels=query.labels,
            sources=query.sources,
        )
        # only a query with rivals has a lead (CLIP queries never reach this)
        lead = None
        if found is not None:
            lead = Lead(found.value, confidence.sample(store, len(vector)).population)
        presence = confidence.calibration.presence
        if rivals and found and lead and presence and presence.probability(lead) < AUTO_CONFIDENCE:
            absent = _absent(query, rivals, found.beaten_by)
            note = f"{note}; {absent}" if note else absent
        said = Judgement(True, cut, note)
        return cls(
            confidence, null, cut, modality, objects, judgement=said, rivals=rivals, lead=lead
        )

    def keeps(self, confidence: float | None, words: float = 0.0) -> bool:
        """Whether a hit stays: its confidence reaches the cut-off, or the query's words
        match its metadata text well (BM25 ``words`` ≥ :data:`WORDS_KEEP`: a caption, tag
        or file name the user searched for is not cut for a weak picture match)."""
        if self.cut is None or words >= WORDS_KEEP:
            return True
        return confidence is not None and confidence >= self.cut

    def images(
        self,
        store: Store,
        vector: NDArray[np.float32],
        query: Query,
        cosines: dict[int, float],
    ) -> dict[int, float | None]:
        """Each picture's confidence, from its cosine and, where the calibration weighs
        them, its object boxes' best cosine."""
        ids = list(cosines)
        if self.confidence is None or self.null is None:
            return dict.fromkeys(ids, 0.0 if self.confidence and not self.readable else None)
        boxes = (
            object_cosines(
                store,
                vector,
                ids,
                labels=query.labels,
                sources=query.sources,
                rivals=None if self.rivals is None else self.rivals.vectors,
            )
            if self.objects
            else {}
        )
        judged = self.confidence.probability(
            self.modality,
            self.null,
            [cosines[i] for i in ids],
            [boxes.get(i, math.nan) for i in ids],
            lead=self.lead,
        )
        return dict(zip(ids, judged, strict=True))

    def parts(self, cosines: Sequence[float]) -> list[float | None]:
        """The confidences of an item's parts (a video's frames, a PDF's pages): whole
        pictures of their own."""
        return self._plain(cosines, region=False)

    def regions(self, cosines: Sequence[float], beaten: Sequence[bool] = ()) -> list[float | None]:
        """The confidences of boxes as hits (an object search); ``beaten``: which a rival
        text describes better than the query (judged as the lowest cosine)."""
        if not beaten:
            return self._plain(cosines, region=True)
        evidence = [NOT_THIS if lost else c for c, lost in zip(cosines, beaten, strict=True)]
        return self._plain(evidence, region=True)

    def _plain(self, cosines: Sequence[float], *, region: bool) -> list[float | None]:
        if self.confidence is None:
            return [None] * len(cosines)
        if not self.readable:
            return [0.0] * len(cosines)
        return self.confidence.probability(
            self.modality, self.null, cosines, region=region, lead=self.lead
        )
