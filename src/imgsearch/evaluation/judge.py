"""Run labelled queries against an index and judge every ranked image.

Each query runs through the index's own search (the same matching, regions, metadata
score and confidence as ``imgsearch search``), exact, down to ``depth`` hits; every hit
is judged relevant or not, and the images the ranking did not reach are counted (they
rank below every hit). A query's own image files are left out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import ImgsearchError
from imgsearch.evaluation.queries import LabelledQuery, LineProblem, Relevance
from imgsearch.index import Index
from imgsearch.query.calibration import Calibration, Evidence, Lead
from imgsearch.query.expression import (
    DEFAULT_METADATA_WEIGHT,
    Query,
    encode_query,
)
from imgsearch.query.judging import query_null
from imgsearch.query.matching import object_cosines, query_lead
from imgsearch.query.vocabulary import query_vocabulary

DEFAULT_DEPTH = 10_000
"""Hits judged per query; images past them count as ranked below every hit."""
LABEL_PAGE = 10_000


@dataclass(frozen=True)
class Judged:
    """One query's ranking, judged: per hit (best first, one per image) whether it is
    relevant, its cosine, its excess over chance (NaN: no confidence for it) and its
    picture's best object-box cosine (NaN: no boxes) — the evidence of its confidence."""

    query: LabelledQuery
    relevant_total: int
    ranked: NDArray[np.bool_]
    cosine: NDArray[np.float32]
    excess: NDArray[np.float64]
    unranked_irrelevant: int
    modality: str = "text"
    """The query's kind for its calibration (``text``, ``image``, ``mix``)."""
    objects: NDArray[np.float64] | None = None
    lead: Lead | None = None
    """The query's lead over its rivals (``None``: it has none; see
    :func:`imgsearch.query.matching.query_lead`)."""

    @property
    def evidence(self) -> Evidence:
        return Evidence.of(self.excess, self.cosine, self.objects)

    @property
    def present(self) -> bool:
        """Whether what the query asks for is in the collection (some image is relevant)."""
        return self.relevant_total > 0

    def confidences(self, calibration: Calibration) -> NDArray[np.float64]:
        """Each hit's confidence under ``calibration``."""
        return calibration.probability(self.modality, self.evidence, lead=self.lead)

    @property
    def unranked_relevant(self) -> int:
        return self.relevant_total - int(self.ranked.sum())

    @property
    def confident(self) -> bool:
        """Whether its hits have confidences (the index is big enough to tell)."""
        return not np.isnan(self.excess).any()


class Answers:
    """Which indexed images a query's relevance names: paths and globs against the
    indexed paths, labels against the imported annotation boxes (read once)."""

    def __init__(self, index: Index) -> None:
        self._store = index.store
        files = [f for f in index.store.files_under([]) if f.has_vector]
        self.ids = {f.path: f.id for f in files}
        self._labels: dict[str, set[int]] | None = None

    def __call__(self, relevance: Relevance) -> set[int]:
        found: set[int] = set()
        for pattern in relevance.paths:
            if any(c in pattern for c in "*?["):
                found |= {i for p, i in self.ids.items() if fnmatch.fnmatchcase(p, pattern)}
            elif pattern in self.ids:
                found.add(self.ids[pattern])
        for label in relevance.labels:
            found |= self._by_label().get(label, set())
        return found

    def _by_label(self) -> dict[str, set[int]]:
        if self._labels is None:
            self._labels = {}
            after = 0
            while page := self._store.regions.labelled(after=after, limit=LABEL_PAGE):
                for record in page:
                    assert record.region.label is not None
                    self._labels.setdefault(record.region.label, set()).add(record.image_id)
                after = page[-1].id
        return self._labels


def judge(
    index: Index,
    queries: Iterable[LabelledQuery],
    *,
    depth: int = DEFAULT_DEPTH,
    metadata_weight: float = DEFAULT_METADATA_WEIGHT,
    on_query: Callable[[LabelledQuery], None] | None = None,
) -> tuple[list[Judged], list[LineProblem]]:
    """Every query's judged ranking, and a problem for each query that could not run
    (its image unreadable, text for an image-only model, no relevant image indexed)."""
    answers = Answers(index)
    judged: list[Judged] = []
    problems: list[LineProblem] = []
    for labelled in queries:
        try:
            judged.append(_judge_one(index, answers, labelled, depth, metadata_weight))
        except (ImgsearchError, ValueError) as error:
            message = error.message if isinstance(error, ImgsearchError) else str(error)
            problems.append(LineProblem(labelled.line, message))
        if on_query is not None:
            on_query(labelled)
    return judged, problems


def _judge_one(
    index: Index, answers: Answers, labelled: LabelledQuery, depth: int, metadata_weight: float
) -> Judged:
    own = {answers.ids[p] for p in labelled.own_images if p in answers.ids}
    relevant = answers(labelled.relevant) - own
    if not labelled.relevant.nothing and not relevant:
        raise ValueError("none of its relevant images is in the index")
    population = len(answers.ids) - len(own)
    query = Query(
        labelled.parts,
        top=min(depth + len(own), max(len(answers.ids), 1)),
        exact=True,
        metadata_weight=metadata_weight,
        sources=labelled.sources,
    )
    vector = encode_query(query.parts, index.images, index.store)
    words = query_vocabulary(query.parts, index.encoder)
    if not words.readable:
        unknown = ", ".join(words.unknown)
        said = f"words it never saw: {unknown}" if unknown else "no word that says something"
        raise ValueError(
            f"{index.encoder.model_id} cannot read its text ({said}): "
            "its search gives every hit confidence 0, which measures nothing"
        )
    rivals = index.rivals(query)
    hits = index.rank(vector, query, rivals=rivals)
    seen: set[int] = set()
    ids, cosines = [], []
    for hit in hits:  # a video's segments: the video once, at its best
        if hit.id not in seen and hit.id not in own:
            seen.add(hit.id)
            ids.append(hit.id)
            cosines.append(hit.cosine)
    ids, cosines = ids[:depth], cosines[:depth]
    confidence = index.confidence
    null = query_null(index.store, vector, query, confidence) if confidence else None
    excess = null.excess(cosines) if null else np.full(len(cosines), np.nan)
    rival_vectors = None if rivals is None else rivals.vectors
    boxes = object_cosines(index.store, vector, ids, sources=query.sources, rivals=rival_vectors)
    found = query_lead(index.store, vector, rival_vectors, exact=True, sources=query.sources)
    pictures = confidence.sample(index.store, len(vector)).population if confidence else 0
    lead = None if found is None else Lead(found.value, pictures)
    ranked = np.array([i in relevant for i in ids], bool)
    return Judged(
        query=labelled,
        relevant_total=len(relevant),
        ranked=ranked,
        cosine=np.asarray(cosines, np.float32),
        excess=excess,
        unranked_irrelevant=population - len(ids) - (len(relevant) - int(ranked.sum())),
        modality=query.modality,
        objects=np.array([boxes.get(i, np.nan) for i in ids], np.float64),
        lead=lead,
    )
