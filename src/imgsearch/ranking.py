"""Ranking: a query vector (and its words) against an index, as a page of hits.

Images are ranked by the documented relevance (:func:`imgsearch.search.relevance`) of
their best-matching vector (:mod:`imgsearch.matching`); in object mode the regions
themselves are the hits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from imgsearch.matching import nearest_images
from imgsearch.search import (
    CANDIDATE_FACTOR,
    METADATA_CANDIDATES,
    Hit,
    Query,
    metadata_score,
    relevance,
)
from imgsearch.store import RegionRecord, Store


def rank(store: Store, vector: NDArray[np.float32], query: Query) -> list[Hit]:
    """Run ``query`` (already turned into ``vector``) against ``store``."""
    wanted = query.offset + query.top
    words = query.words if query.metadata_weight > 0 else ""
    metadata = (
        dict(store.metadata_matches(words, METADATA_CANDIDATES, query.filters)) if words else {}
    )
    depth = wanted * CANDIDATE_FACTOR if metadata else wanted
    if query.objects:
        return _rank_objects(store, vector, query, depth, metadata)
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
    scored = []
    for image_id, cosine in cosines.items():
        meta = metadata_score(metadata.get(image_id, 0.0))
        scored.append((relevance(cosine, meta, query.metadata_weight), cosine, meta, image_id))
    scored.sort(key=lambda s: (-s[0], s[3]))
    page = scored[query.offset : wanted]
    records = {r.id: r for r in store.get([s[3] for s in page])}
    regions = _matched_regions(store, [s[3] for s in page], matched)
    return [
        Hit(
            query.offset + n + 1, image_id, rel, cos, meta, records[image_id], regions.get(image_id)
        )
        for n, (rel, cos, meta, image_id) in enumerate(page)
        if image_id in records
    ]


def _matched_regions(
    store: Store, image_ids: Sequence[int], matched: dict[int, int]
) -> dict[int, RegionRecord]:
    """Image id → the record of the region that matched it, for ``image_ids`` (a page)."""
    owners = [i for i in image_ids if i in matched]
    wanted = {matched[i] for i in owners}
    return {r.image_id: r for r in store.regions(owners) if r.id in wanted} if owners else {}


def _rank_objects(
    store: Store,
    vector: NDArray[np.float32],
    query: Query,
    depth: int,
    metadata: dict[int, float],
) -> list[Hit]:
    """Regions as hits, best first: one per object, with its image's metadata score."""
    found = store.nearest_regions(
        vector, depth, query.filters, labels=query.labels, sources=query.sources, exact=query.exact
    )
    scored = []
    for region_id, image_id, cosine in found:
        meta = metadata_score(metadata.get(image_id, 0.0))
        rel = relevance(cosine, meta, query.metadata_weight)
        scored.append((rel, cosine, meta, region_id, image_id))
    scored.sort(key=lambda s: (-s[0], s[3]))
    page = scored[query.offset : query.offset + query.top]
    images = list(dict.fromkeys(s[4] for s in page))
    records = {r.id: r for r in store.get(images)}
    regions = {r.id: r for r in store.regions(images)}
    return [
        Hit(query.offset + n + 1, image_id, rel, cos, meta, records[image_id], regions[region_id])
        for n, (rel, cos, meta, region_id, image_id) in enumerate(page)
        if image_id in records and region_id in regions
    ]
