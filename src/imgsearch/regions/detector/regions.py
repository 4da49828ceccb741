"""Regions from a detector: every indexed image is run through the user's detector and
each object it finds becomes a region (source ``detector``, with its class as label and
its confidence as score), embedded as a crop with ``padding`` of context.

The pass is :mod:`imgsearch.regions.passes`: resumable, per-image transactions, stamped
with the detector file's checksum and thresholds (a different model or threshold
re-detects every image; the same one skips the images already done). Each image is
decoded once — at no less than the detector's input size times the decoder's draft
factor — and that picture serves both the detector and the crops.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from imgsearch.media.decode import load_rgb
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.detector.yolo import YoloDetector
from imgsearch.regions.passes import DEFAULT_PADDING, RegionReport, add_regions
from imgsearch.store import ImageRecord, Region, Store
from imgsearch.types import Box

SOURCE = "detector"


def add_detector_regions(
    store: Store,
    images: ImagePipeline,
    detector: YoloDetector,
    roots: Sequence[str | os.PathLike[str]],
    *,
    padding: float = DEFAULT_PADDING,
    on_progress: Callable[[int, int], None] | None = None,
    select: Callable[[str], bool] | None = None,
) -> RegionReport:
    """Detect objects in the images indexed under ``roots`` (those whose path ``select``
    accepts, when given) that lack this detector's regions, and store them as regions."""

    def detect(record: ImageRecord) -> tuple[list[Region], list[Pixels]]:
        assert record.width and record.height  # checked by the pass
        with images.decode_slot():
            picture = load_rgb(
                record.path,
                min_short_edge=min(detector.width, detector.height),
                options=images.decode_options,
            )
        found = detector.detect(picture)
        if not found:
            return [], []
        sx, sy = record.width / picture.width, record.height / picture.height
        regions = [
            Region(
                SOURCE,
                box=Box(d.box.x * sx, d.box.y * sy, d.box.w * sx, d.box.h * sy),
                label=d.label,
                score=round(d.score, 4),
            )
            for d in found
        ]
        crops = [Box(d.box.x, d.box.y, d.box.w, d.box.h, padding=padding) for d in found]
        # As an array: the upright pixels without the file's EXIF, which would turn them again.
        upright = np.asarray(picture)
        return regions, images.read_regions(upright, crops, name=record.path)[1]

    stamp = f"{detector.stamp}:pad={padding:g}"
    return add_regions(
        store, images, roots, source=SOURCE, stamp=stamp, find=detect, on_progress=on_progress,
        select=select,
    )  # fmt: skip
