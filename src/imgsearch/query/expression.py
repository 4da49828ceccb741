"""Queries: text, example images, regions, and weighted mixes of them, and their vectors.

A query is a list of parts, each a text or an image (optionally a box on it)
with a weight; negative weights push results away ("… --not grass"). The
query vector is the L2-normalised weighted sum of the parts' unit vectors.

Relevance (what hits are ranked by) is the reciprocal-rank fusion of the ranking by cosine
and the ranking by the BM25 score of the query's words in each image's metadata text
(:mod:`imgsearch.query.fusion`); confidence (what cut-offs use) is calibrated from the
hit's scores (:mod:`imgsearch.query.calibration`, ``docs/relevance.md``). What a
closed-vocabulary model makes of the query's words is :mod:`imgsearch.query.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import (
    EmptyQuery,
    InvalidBox,
    InvalidQuery,
    ModelMismatch,
    NotIndexed,
    StoreError,
    TextNotSupported,
)
from imgsearch.kinds import NAMES, PART_SOURCES, kind_of
from imgsearch.kinds.segments import Segment
from imgsearch.models.encoder import Encoder, Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.query.confidence import Judgement
from imgsearch.query.fusion import DEFAULT_WORDS_WEIGHT
from imgsearch.query.grammar import parse_terms
from imgsearch.query.vocabulary import QueryVocabulary
from imgsearch.store import Filters, ImageRecord, RegionRecord, Store
from imgsearch.store.records import BOX_SOURCES, MAX_FILTER_VALUES
from imgsearch.types import Box, TextLine

REGION_SOURCES = BOX_SOURCES + PART_SOURCES
"""Where a region came from: imported boxes, a detector's, grid patches, or an item's
parts (a video's ``frame``, a PDF's ``page``: see :mod:`imgsearch.kinds`)."""

DEFAULT_TOP = 10
DEFAULT_METADATA_WEIGHT = DEFAULT_WORDS_WEIGHT
BM25_SATURATION = 5.0
CANDIDATE_FACTOR = 4  # vector candidates per wanted hit, when metadata can reorder them
METADATA_CANDIDATES = 200


@dataclass(frozen=True)
class QueryPart:
    """One ingredient of a query: a ``text``, an ``image`` path, an indexed ``image_id``,
    or the encoded bytes of an image (``image_data``, e.g. an upload).

    ``box`` selects a region of the image; ``weight`` scales the part's vector
    (negative: steer away from it).
    """

    text: str | None = None
    image: str | None = None
    image_id: int | None = None
    box: Box | None = None
    weight: float = 1.0
    image_data: bytes | None = field(default=None, repr=False)
    region_id: int | None = None
    """A stored region (an object's box) of an indexed image: its vector is the query."""

    def __post_init__(self) -> None:
        given = [
            self.text is not None,
            self.image is not None,
            self.image_id is not None,
            self.image_data is not None,
            self.region_id is not None,
        ]
        if sum(given) != 1:
            raise InvalidQuery(
                "a query part is exactly one of: a text, an image, an indexed image id, "
                "image data, an indexed region id"
            )
        if self.region_id is not None and self.box is not None:
            raise InvalidQuery("a region is already a box: it takes no other box")
        if self.text is not None and not self.text.strip():
            raise InvalidQuery("a text query part is empty", hint="write some words to search for")
        if not np.isfinite(self.weight) or self.weight == 0:
            raise InvalidQuery(f"weight {self.weight} is not usable", hint="use a non-zero number")
        if self.box is not None and self.text is not None:
            raise InvalidQuery("a box applies to an image, not to a text")


@dataclass(frozen=True)
class Query:
    """A whole search: parts, filters, the page of hits wanted and the relevance weight."""

    parts: tuple[QueryPart, ...]
    filters: Filters = field(default_factory=Filters)
    top: int = DEFAULT_TOP
    offset: int = 0
    metadata_weight: float = DEFAULT_METADATA_WEIGHT
    exact: bool = False
    regions: bool = True
    """Match inside images too: an image's cosine is the best of its whole-image and
    region vectors (see :mod:`imgsearch.query.matching`); False compares whole images only."""
    labels: tuple[str, ...] = ()
    """Only regions with one of these labels match (and so only images that have one)."""
    sources: tuple[str, ...] = ()
    """Only regions from these sources match (``annotation``, ``detector``, ``grid``,
    ``frame``)."""
    objects: bool = False
    """Hits are regions (objects), one per box, not images: "every bus in the dataset"."""
    min_confidence: float | Literal["auto"] | None = None
    """Drop hits less confident than this (0..1; see :mod:`imgsearch.query.confidence`), so a query
    with no real match returns no hits; ``"auto"``: :data:`~imgsearch.query.confidence.AUTO_CONFIDENCE`."""

    def __post_init__(self) -> None:
        if not self.parts:
            raise EmptyQuery(
                "nothing to search for",
                hint="give a text, an example image or an indexed image to search by",
            )
        if all(p.weight < 0 for p in self.parts):
            raise InvalidQuery(
                "a query needs at least one positive part",
                hint="negative parts only steer away from something: add a positive one",
            )
        if self.top < 1 or self.offset < 0:
            raise InvalidQuery("top must be at least 1 and offset at least 0")
        if not 0 <= self.metadata_weight <= 1:
            raise InvalidQuery("metadata_weight must lie between 0 and 1")
        if self.filters.media is not None and self.filters.media not in NAMES:
            raise InvalidQuery(
                f"unknown media {self.filters.media!r}", hint=f"media is {', '.join(NAMES)} or all"
            )
        unknown = set(self.sources) - set(REGION_SOURCES)
        if unknown:
            raise InvalidQuery(
                f"unknown region source {sorted(unknown)[0]!r}",
                hint=f"sources are {', '.join(REGION_SOURCES)}",
            )
        if len(self.labels) > MAX_FILTER_VALUES or any(len(x) > 200 for x in self.labels):
            raise InvalidQuery(f"at most {MAX_FILTER_VALUES} labels of 200 characters each")
        if self.min_confidence not in (None, "auto") and not (
            isinstance(self.min_confidence, int | float) and 0 <= self.min_confidence <= 1
        ):
            raise InvalidQuery(
                f"min_confidence {self.min_confidence!r} is not a number from 0 to 1 or 'auto'"
            )
        if (self.labels or self.sources or self.objects) and not self.regions:
            raise InvalidQuery("label, source and object searches look at regions: keep regions on")

    @property
    def region_filter(self) -> bool:
        """Whether only some regions may match (so whole pictures do not)."""
        return bool(self.labels or self.sources)

    @property
    def modality(self) -> str:
        """What kind of query it is for its confidence's calibration: ``text`` (one text),
        ``image`` (one example image, box or region) or ``mix`` (several parts, negative
        ones too: their sum's cosines live on a scale of their own)."""
        if len(self.parts) > 1:
            return "mix"
        return "text" if self.parts[0].text is not None else "image"

    @property
    def words(self) -> str:
        """The text the metadata score looks for: the positive text parts."""
        return " ".join(p.text for p in self.parts if p.text and p.weight > 0)


@dataclass(frozen=True)
class Hit:
    """One ranked result. ``relevance`` orders hits; ``cosine`` is the raw similarity."""

    rank: int
    id: int
    relevance: float
    cosine: float
    metadata_score: float
    image: ImageRecord
    region: RegionRecord | None = None
    """The region whose vector matched best (its box, label, source; for a video, the
    segment's best frame); ``None``: the whole image."""
    segment: Segment | None = None
    """For a video found by its frames: the matching moments (start, end, best)."""
    confidence: float | None = None
    """How likely the hit is a real match, 0..1, comparable across queries (see
    :mod:`imgsearch.query.confidence`); ``None`` when the collection is too small to tell."""
    text: TextLine | None = None
    """The line of text read in the image (OCR) that holds the query's words or its
    ``contains_text`` phrases (see :func:`imgsearch.store.words.matching_line`), with its
    box; ``None`` when no read line does."""
    words_in: tuple[str, ...] = ()
    """Where the query's words were found with the hit — ``name`` (file and folder names),
    ``caption``, ``tags``, ``camera``, ``text`` (read in the picture) — beside what its
    picture shows; empty when they were not (:mod:`imgsearch.query.fusion`)."""


def parse_expression(expression: str | Sequence[str], *, files: bool = True) -> list[QueryPart]:
    """The query parts of an rclip-style mix: ``"2:golden retriever" + ./pool.jpg - grass``
    (the grammar: :mod:`imgsearch.query.grammar`), for a caller that reads local files
    (the command line, labelled-query files). ``files``: a term naming an existing file is
    an image whatever its name."""
    parts = []
    for term in parse_terms(expression, files=files):
        if term.url:
            raise InvalidQuery(
                f"{term.term} is a web address; searches here read files on this computer",
                hint="download the image first, or send the address to a server (image_url)",
            )
        if term.image:
            parts.append(QueryPart(image=str(Path(term.term).expanduser()), weight=term.weight))
        else:
            parts.append(QueryPart(text=term.term, weight=term.weight))
    return parts


def encode_query(
    parts: Sequence[QueryPart],
    images: ImagePipeline,
    store: Store,
    *,
    text_vector: Callable[[str], Vectors] | None = None,
) -> Vectors:
    """The unit vector a query's parts stand for.

    Texts go through ``text_vector`` when given (a cache, or vectors a server computed
    in batches), else the model; an indexed image without a box, and a local file the
    index holds unchanged, use the stored vector; other images are read and embedded by
    ``images``, whose model must be the index's (checked once per query).
    """
    if any(_needs_encoder(part) for part in parts):
        check_model(store, images.encoder)
    vectors = [_part_vector(part, images, store, text_vector) for part in parts]
    return combine(np.stack(vectors), [part.weight for part in parts])


class Hits(list[Hit]):
    """A page of hits, best first, with what the model made of the query's words
    (``vocabulary``) and what their confidences rest on (``judgement``): what every edge
    shows beside the hits, computed once with them. A list, so code that wants a list of
    :class:`Hit` has one."""

    def __init__(
        self,
        hits: Iterable[Hit] = (),
        vocabulary: QueryVocabulary = QueryVocabulary(),
        judgement: Judgement = Judgement(),
    ) -> None:
        super().__init__(hits)
        self.vocabulary = vocabulary
        self.judgement = judgement


def check_model(store: Store, encoder: Encoder) -> None:
    """Refuse to compare ``encoder``'s vectors with an index of another model's."""
    settings = store.settings()
    if settings is not None and settings.model_id != encoder.model_id:
        raise ModelMismatch(
            f"the index at {store.location} was built with {settings.model_id}, "
            f"not {encoder.model_id}",
            hint=f"search with the index's own model ({settings.model_id}), or re-embed "
            f"the index with {encoder.model_id}",
            indexed=settings.model_id,
            requested=encoder.model_id,
        )


def _needs_encoder(part: QueryPart) -> bool:
    if part.region_id is not None:
        return False
    return part.image_id is None or part.box is not None


def _part_vector(
    part: QueryPart,
    images: ImagePipeline,
    store: Store,
    text_vector: Callable[[str], Vectors] | None,
) -> Vectors:
    encoder = images.encoder
    if part.text is not None:
        if not encoder.supports_text:
            raise TextNotSupported(
                f"{encoder.model_id} embeds images only: it cannot search by text",
                hint="search by an example image or a region, or index with an image-text model",
            )
        if text_vector is not None:
            return text_vector(part.text)
        vector: Vectors = encoder.embed_texts([part.text])[0]
        return vector
    if part.region_id is not None:
        return _region_vector(store, part.region_id)
    source: str | bytes
    if part.image_data is not None:
        source = part.image_data
    elif part.image_id is not None:
        record = _indexed(store, part.image_id)
        if part.box is None:
            return _stored_vector(store, record.id)
        piece = kind_of(record.kind).part
        if piece is not None:  # which frame or page would the box be cut from?
            raise InvalidBox(
                f"image {record.id} is a {record.kind}: a box is drawn on one of its {piece}s",
                hint=f"search with that {piece} as the example image, with the box on it",
            )
        source = record.path
    else:
        assert part.image is not None
        source = part.image
        known = store.find_path(str(Path(part.image).expanduser().resolve()))
        if known is not None and part.box is None and _unchanged(known):
            return _stored_vector(store, known.id)
    embedded: Vectors = images.embed_images([source], [part.box])[0]
    return embedded


def _indexed(store: Store, image_id: int) -> ImageRecord:
    records = store.get([image_id]) if 0 < image_id < 2**63 else []
    if not records:
        raise NotIndexed(f"no image with id {image_id} in {store.location}")
    return records[0]


def _region_vector(store: Store, region_id: int) -> Vectors:
    try:
        vector: Vectors = store.regions.vectors([region_id])[0]
    except StoreError:
        raise NotIndexed(f"no region with id {region_id} in {store.location}") from None
    return vector


def _stored_vector(store: Store, image_id: int) -> Vectors:
    vector: Vectors = store.vectors([image_id])[0]
    return vector


def _unchanged(record: ImageRecord) -> bool:
    try:
        stat = Path(record.path).stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (record.size, record.mtime_ns)


def combine(vectors: NDArray[np.float32], weights: Sequence[float]) -> NDArray[np.float32]:
    """Weighted sum of unit vectors, L2-normalised."""
    combined = (np.asarray(weights, dtype=np.float32)[:, None] * vectors).sum(axis=0)
    norm = float(np.linalg.norm(combined))
    if norm < 1e-6:
        raise InvalidQuery(
            "the query's parts cancel each other out",
            hint="change the weights so that the positive parts dominate",
        )
    unit: NDArray[np.float32] = (combined / norm).astype(np.float32)
    return unit


def metadata_score(bm25: float) -> float:
    """BM25 squashed into [0, 1)."""
    return bm25 / (bm25 + BM25_SATURATION) if bm25 > 0 else 0.0
