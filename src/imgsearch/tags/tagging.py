"""Tagging a collection from its stored vectors: the pictures not tagged yet, a chunk at a
time, each given the phrases of the vocabulary whose confidence clears its threshold
(:mod:`imgsearch.tags.scoring`). Nothing is decoded or embedded again: changing the
vocabulary re-tags a collection in seconds (BENCHMARKS.md, "Tags").

A picture's tags are stored when its chunk is done, so a run killed midway resumes with the
pictures still untagged. A picture whose vector changes (its file was modified) is
untagged again by the store; a vocabulary change untags every picture.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imgsearch.store import Store
from imgsearch.tags.scoring import TagScorer

CHUNK = 4096
"""Pictures scored together: a ``(CHUNK, tags)`` float32 matrix (16 MB at 1,000 tags)."""


@dataclass(frozen=True)
class TagReport:
    """What a tagging run did."""

    tagged: int
    """Pictures tagged by this run."""
    tags_given: int
    """Tags given to them in all."""
    seconds: float
    judged: bool = True
    """False: the collection is too small to tell what "no match" looks like (as search
    then gives no confidence); nothing was tagged."""
    text: bool = True
    """False: the index's model embeds images only, so no phrase can be asked of it;
    nothing was tagged."""


def tag_untagged(
    store: Store,
    scorer: TagScorer | None,
    threshold: float,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> TagReport:
    """Tag every picture of ``store`` that has no tags stored yet with ``scorer``'s
    phrases whose confidence reaches ``threshold``; ``on_progress(done, total)`` after
    each chunk."""
    began = time.perf_counter()
    if scorer is None:
        return TagReport(0, 0, time.perf_counter() - began, judged=False)
    tagged = given = 0
    done, total = store.auto_tags.progress()
    while ids := store.auto_tags.untagged(CHUNK):
        confidences = scorer.confidences(store, ids)
        rows, columns = np.nonzero(confidences >= threshold)
        found: dict[int, dict[str, float]] = {image_id: {} for image_id in ids}
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            found[ids[row]][scorer.tags[column]] = round(float(confidences[row, column]), 4)
        store.auto_tags.write(found)
        tagged += len(ids)
        given += len(rows)
        if on_progress is not None:
            on_progress(min(done + tagged, total), total)
    return TagReport(tagged, given, time.perf_counter() - began)
