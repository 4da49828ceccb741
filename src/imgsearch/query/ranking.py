"""Ranking: a query vector (and its words) against an index, as a page of hits.

Images are ranked by the documented relevance (:mod:`imgsearch.query.fusion`: the rank of
their best-matching vector, :mod:`imgsearch.query.matching`, fused with the rank of the
words found with them); a many-part item found by its parts becomes the hits its kind
makes of them (:mod:`imgsearch.kinds`: a video one per matching segment, a PDF one per
page), ranked among images by their best part; in object mode the regions themselves are
the hits. How sure each hit is, and the cut-off: :mod:`imgsearch.query.judging`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from imgsearch.kinds import PartMatch, kind_of
from imgsearch.query.confidence import Confidence
from imgsearch.query.expression import (
    CANDIDATE_FACTOR,
    METADATA_CANDIDATES,
    Hit,
    Hits,
    Query,
    metadata_score,
)
from imgsearch.query.fusion import WORDS_MIN, Fusion
from imgsearch.query.judging import Judge
from imgsearch.query.matching import nearest_images, rivalled
from imgsearch.query.vocabulary import Rivals
from imgsearch.store import ImageRecord, RegionRecord, Store
from imgsearch.store.records import BOX_SOURCES
from imgsearch.store.words import WordFields, content_words, matching_line
from imgsearch.types import TextLine


def rank(
    store: Store,
    vector: NDArray[np.float32],
    query: Query,
    confidence: Confidence | None = None,
    *,
    readable: bool = True,
    rivals: Rivals | None = None,
) -> Hits:
    """Run ``query`` (already turned into ``vector``) against ``store``; with
    ``confidence``, every hit gets one and ``query.min_confidence`` cuts the list (the
    hits' ``judgement`` says what was done). ``readable=False``: the model could not read
    a text of the query (:func:`imgsearch.query.vocabulary.query_vocabulary`), so every
    hit's confidence is 0. ``rivals``: the texts that rival the query's (an object one
    of them describes better is not the query's, see
    :func:`imgsearch.query.matching.object_cosines`; and where none is, what it names is
    likely absent, see :func:`imgsearch.query.matching.query_lead`)."""
    judge = Judge.of(store, vector, query, confidence, readable=readable, rivals=rivals)
    return Hits(_ranked(store, vector, query, judge), judgement=judge.judgement)


def _ranked(store: Store, vector: NDArray[np.float32], query: Query, judge: Judge) -> list[Hit]:
    wanted = query.offset + query.top
    words = query.words if query.metadata_weight > 0 else ""
    metadata = (
        dict(store.metadata_matches(words, METADATA_CANDIDATES, query.filters)) if words else {}
    )
    depth = wanted * CANDIDATE_FACTOR if metadata else wanted
    worded = _holding_the_words(store, query, metadata)
    if query.objects:
        return _rank_objects(store, vector, query, depth, metadata, worded, judge)
    matches = nearest_images(
        store,
        vector,
        depth,
        query.filters,
        exact=query.exact,
        regions=query.regions,
        labels=query.labels,
        sources=query.sources,
    )
    cosines = {m.image_id: m.cosine for m in matches}
    matched = {m.image_id: m.region_id for m in matches if m.region_id is not None}
    # words found in an image that has no region passing the filter do not bring it in
    extra = [] if query.region_filter else [i for i in metadata if i not in cosines]
    if extra:
        for image_id, cosine in zip(extra, store.vectors(extra) @ vector, strict=True):
            cosines[image_id] = float(cosine)
    fusion = Fusion(
        cosines.values(), _ranked_words(query, metadata, worded), query.metadata_weight,
        readable=judge.readable,
    )  # fmt: skip
    sure = judge.images(store, vector, query, cosines)
    cosines = {
        i: cosine for i, cosine in cosines.items() if judge.keeps(sure[i], worded.get(i, 0.0))
    }
    records = {r.id: r for r in store.get(list(cosines))}
    items = []
    for image_id, cosine in cosines.items():
        if image_id in records:
            meta = metadata_score(metadata.get(image_id, 0.0))
            rel = fusion.relevance(cosine, image_id)
            items.append(_Scored(rel, cosine, meta, image_id, None, sure[image_id]))
    items.sort(key=_order)
    # A many-part item becomes its kind's hits (segments, pages), none ranking above the
    # item's best: items are expanded in rank order only while they can still reach the page.
    parts: dict[int, RegionRecord] = {}  # the parts of the items expanded, by id
    scored: list[_Scored] = []
    for item in items:
        if len(scored) >= wanted:
            scored.sort(key=_order)
            if _order(scored[wanted - 1]) < _order(item):
                break
        record = records[item.image_id]
        found = _part_matches(store, vector, query, record, parts)
        pages = _pages_with_words(store, query, record) if found else None
        kept = []
        for m, sure_of_part in zip(found, judge.parts([m.cosine for m in found]), strict=True):
            # On a document the words are a page's: only the pages that hold them get the
            # metadata evidence, and a contains-text filter keeps only those pages.
            on_page = pages is None or parts[m.region_id].region.frame in pages
            if pages is not None and query.filters.contains_text and not on_page:
                continue
            meta = item.metadata if on_page else 0.0
            bm25 = worded.get(item.image_id, 0.0) if on_page else 0.0
            if judge.keeps(sure_of_part, bm25):
                rel = fusion.relevance(m.cosine, item.image_id if on_page else None)
                kept.append(_Scored(rel, m.cosine, meta, item.image_id, m, sure_of_part))
        scored += kept or [item]
    scored.sort(key=_order)
    page = scored[query.offset : wanted]
    regions = _matched_regions(store, [s.image_id for s in page if s.part is None], matched)
    lines = _read_lines(store, query, [s.image_id for s in page])
    return [
        Hit(
            query.offset + n + 1,
            s.image_id,
            s.relevance,
            s.cosine,
            s.metadata,
            records[s.image_id],
            parts[s.part.region_id] if s.part else regions.get(s.image_id),
            s.part.segment if s.part else None,
            s.confidence,
            _line_of(query, lines.get(s.image_id), parts[s.part.region_id] if s.part else None),
            _words_in(query, records[s.image_id], lines.get(s.image_id), part)
            if s.metadata
            else (),
        )
        for n, s in enumerate(page)
        for part in [parts[s.part.region_id] if s.part else None]
    ]


@dataclass(frozen=True)
class _Scored:
    relevance: float
    cosine: float
    metadata: float
    image_id: int
    part: PartMatch | None
    confidence: float | None = None


def _order(scored: _Scored) -> tuple[float, int, float]:
    """Best first; equal relevance by image id, then an item's parts in their order."""
    return (-scored.relevance, scored.image_id, scored.part.at if scored.part else 0.0)


def _part_matches(
    store: Store,
    vector: NDArray[np.float32],
    query: Query,
    item: ImageRecord,
    keep: dict[int, RegionRecord],
) -> list[PartMatch]:
    """The hits a many-part ``item`` gives for ``vector`` (its kind's: see
    :mod:`imgsearch.kinds`), when the query matches regions and its parts are among the
    sources; its parts' records go into ``keep`` by id (a hit shows its part). A still
    image, or a query that does not match parts: none."""
    kind = kind_of(item.kind)
    if kind.part is None or not query.regions or query.labels:
        return []
    if query.sources and kind.part not in query.sources:
        return []
    found = [f for f in store.regions.of([item.id]) if f.region.source == kind.part]
    keep.update((f.id, f) for f in found)
    if not found:
        return []
    return kind.matches(item, found, store.regions.vectors([f.id for f in found]) @ vector)


def _read_lines(store: Store, query: Query, image_ids: list[int]) -> dict[int, list[TextLine]]:
    """The read text of the hits, when the query has words (or phrases its filter
    requires) a line could hold."""
    if not (query.words or query.filters.contains_text) or not image_ids:
        return {}
    return store.texts.lines(image_ids)


def _line_of(
    query: Query, lines: list[TextLine] | None, part: RegionRecord | None
) -> TextLine | None:
    """The line a hit was found by — holding the query's words or its filter's phrases —
    among its item's lines, or its page's for a hit on a document's page."""
    if not lines:
        return None
    if part is not None and part.region.box is None and any(x.page for x in lines):
        lines = [line for line in lines if line.page == part.region.frame]
    return matching_line(lines, query.words, query.filters.contains_text)


def _holding_the_words(store: Store, query: Query, metadata: dict[int, float]) -> dict[int, float]:
    """The images of ``metadata`` (id → BM25) whose words count for the relevance and the
    cut-off: BM25 ≥ :data:`~imgsearch.query.fusion.WORDS_MIN`, and every word the query
    asks for (filler such as "a photo of" left out) found with the picture — a file
    named ``blue-ball.jpg`` does not hold "blue star"."""
    wanted = content_words(query.words)
    chosen = [i for i, score in metadata.items() if score >= WORDS_MIN]
    if not wanted or not chosen:
        return {}
    lines = store.texts.lines(chosen)
    return {
        record.id: metadata[record.id]
        for record in store.get(chosen)
        if _fields(record, lines.get(record.id)).holds_all(wanted)
    }


def _ranked_words(
    query: Query, metadata: dict[int, float], worded: dict[int, float]
) -> dict[int, float]:
    """The images the words' ranking orders: those holding the query's words — or, when
    the query asks to rank by the words alone (metadata weight 1), every match by its
    BM25, as far as it goes."""
    return metadata if query.metadata_weight >= 1 else worded


def _fields(record: ImageRecord, lines: list[TextLine] | None) -> WordFields:
    archive = record.archive.words() if record.archive is not None else None
    return WordFields(record.path, record.caption, record.tags, record.camera, lines or (), archive)


def _words_in(
    query: Query, record: ImageRecord, lines: list[TextLine] | None, part: RegionRecord | None
) -> tuple[str, ...]:
    """Where the query's words are found with a hit (:data:`~imgsearch.store.words.WORD_FIELDS`):
    its names, caption, tags, camera, read text — a document page's own text only."""
    if lines and part is not None and part.region.box is None and any(x.page for x in lines):
        lines = [line for line in lines if line.page == part.region.frame]
    return _fields(record, lines).holding(query.words)


def _pages_with_words(store: Store, query: Query, item: ImageRecord) -> set[int] | None:
    """The pages of a document whose text holds the query's words (or its filter's
    phrases); ``None`` when there is nothing to tell pages apart by: no words, or no text
    read page by page."""
    if not (query.words or query.filters.contains_text):
        return None
    lines = store.texts.lines([item.id]).get(item.id, [])
    pages = {line.page for line in lines if line.page is not None}
    if not pages:
        return None
    required = query.filters.contains_text
    return {
        page
        for page in pages
        if matching_line([x for x in lines if x.page == page], query.words, required)
    }


def _matched_regions(
    store: Store, image_ids: Sequence[int], matched: dict[int, int]
) -> dict[int, RegionRecord]:
    """Image id → the record of the region that matched it, for ``image_ids`` (a page)."""
    owners = [i for i in image_ids if i in matched]
    wanted = {matched[i] for i in owners}
    return {r.image_id: r for r in store.regions.of(owners) if r.id in wanted} if owners else {}


def _rank_objects(
    store: Store,
    vector: NDArray[np.float32],
    query: Query,
    depth: int,
    metadata: dict[int, float],
    worded: dict[int, float],
    judge: Judge,
) -> list[Hit]:
    """Regions as hits, best first: one per object, with its image's metadata score."""
    # objects have boxes: an item's parts (frames, pages) are found only when asked for
    sources = query.sources or BOX_SOURCES
    found = store.regions.nearest(
        vector, depth, query.filters, labels=query.labels, sources=sources, exact=query.exact
    )
    scored = []
    cosines = [cosine for _, _, cosine in found]
    beaten: list[bool] = []
    if judge.rivals is not None and found:
        vectors = store.regions.vectors([region_id for region_id, _, _ in found])
        scores = np.asarray(cosines, np.float32)
        beaten = rivalled(vectors, scores, judge.rivals.vectors).tolist()
    sure = judge.regions(cosines, beaten)
    fusion = Fusion(
        (cosine for _, _, cosine in found),
        _ranked_words(query, metadata, worded),
        query.metadata_weight,
        readable=judge.readable,
    )
    for (region_id, image_id, cosine), confidence in zip(found, sure, strict=True):
        if not judge.keeps(confidence, worded.get(image_id, 0.0)):
            continue
        meta = metadata_score(metadata.get(image_id, 0.0))
        rel = fusion.relevance(cosine, image_id)
        scored.append((rel, cosine, meta, region_id, image_id, confidence))
    scored.sort(key=lambda s: (-s[0], s[3]))
    page = scored[query.offset : query.offset + query.top]
    images = list(dict.fromkeys(s[4] for s in page))
    records = {r.id: r for r in store.get(images)}
    regions = {r.id: r for r in store.regions.of(images)}
    lines = _read_lines(store, query, images)
    return [
        Hit(
            query.offset + n + 1,
            image_id,
            rel,
            cos,
            meta,
            records[image_id],
            regions[region_id],
            confidence=confidence,
            words_in=_words_in(query, records[image_id], lines.get(image_id), None) if meta else (),
        )
        for n, (rel, cos, meta, region_id, image_id, confidence) in enumerate(page)
        if image_id in records and region_id in regions
    ]
