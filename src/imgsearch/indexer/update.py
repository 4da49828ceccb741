"""One index run as :meth:`imgsearch.Index.update` runs it: the folders brought in step,
then the text in their pictures read, then the regions of the index's policy added — the
later stages over the files the first one found (an indexer's share of them, with
``part``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from imgsearch.indexer.many_parts import read_missing_part_text
from imgsearch.indexer.parts import Part
from imgsearch.indexer.read_text import TextReading, read_missing_text
from imgsearch.indexer.report import IndexEvent, IndexReport
from imgsearch.indexer.run import Indexer
from imgsearch.kinds import MediaKinds
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.policy import RegionPolicy, apply_policy
from imgsearch.store import Store


def update_index(
    store: Store,
    images: ImagePipeline,
    folders: Sequence[str | os.PathLike[str]],
    *,
    source: str,
    share: Part | None,
    reading: TextReading | None,
    policy: RegionPolicy,
    exclude: Sequence[str],
    include_hidden: bool,
    retry_failed: bool,
    reembed: bool,
    on_event: Callable[[IndexEvent], None] | None,
    on_regions: Callable[[str, int, int], None] | None,
    kinds: MediaKinds | None,
    on_text: Callable[[int, int], None] | None,
) -> IndexReport:
    """Run every stage once; the caller holds the run's lock. ``source``: how to load the
    model again, recorded with the index; ``reading``: how text is read (``None``: not).
    The report's ``seconds`` are the whole run's, every stage."""
    started = time.monotonic()
    indexer = Indexer(store, images, on_event=on_event, source=source, kinds=kinds, text=reading)
    report = indexer.update(
        folders,
        exclude=exclude,
        include_hidden=include_hidden,
        retry_failed=retry_failed,
        reembed=reembed,
        part=share,
    )
    select = share.selector(list(report.roots)) if share is not None else None
    if reading is not None:
        report.text.add(
            read_missing_text(
                store, images, reading, report.roots, select=select, on_progress=on_text
            )
        )
        report.text.add(
            read_missing_part_text(store, indexer.kinds, reading, report.roots, select=select)
        )
    report.regions = apply_policy(
        policy, store, images, folders, on_progress=on_regions, select=select
    )
    report.seconds = time.monotonic() - started
    return report
