"""Grid patches: regions cut at fixed places, so that small things match without any
annotations or detector, with any model.

The scheme, for each level ``n`` in ``levels`` (default 2 and 3): windows of
``W/n × H/n`` pixels (``W × H``: the displayed image) stepped by half a window across and
down, so neighbours overlap by half — ``(2n − 1)²`` windows per level: 9 at level 2 and 25
at level 3. Each window is embedded like an image; a window whose vector is almost the
whole picture's (cosine ≥ ``keep_below``, 0.95 by default) adds nothing and is not stored.

Cost: every window is one more model input, so indexing with levels 2 and 3 runs the
vision model 35 times per image instead of once (decoding stays once per image). Stored:
at most 34 vectors per image, fewer after pruning.

The pass (:mod:`imgsearch.regions.passes`) runs after an index run, over the images under
the folders that lack grid regions made with these parameters: killed, it resumes where
it stopped; an image that changes loses its regions with its old vector and gets new
ones on the next pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from imgsearch.errors import InvalidSettings
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.passes import RegionReport, add_regions
from imgsearch.store import ImageRecord, Region, Store
from imgsearch.types import Box

SOURCE = "grid"
DEFAULT_LEVELS = (2, 3)
DEFAULT_KEEP_BELOW = 0.95
MAX_LEVEL = 8


GridReport = RegionReport
"""What a grid pass did (the shared report of region passes)."""


def grid_boxes(width: int, height: int, levels: Sequence[int] = DEFAULT_LEVELS) -> list[Box]:
    """The windows of the scheme on a ``width × height`` image, level by level."""
    boxes = []
    for n in levels:
        w, h = width / n, height / n
        for row in range(2 * n - 1):
            for column in range(2 * n - 1):
                x, y = round(column * w / 2), round(row * h / 2)
                right, bottom = min(width, round(x + w)), min(height, round(y + h))
                boxes.append(Box(x, y, max(1, right - x), max(1, bottom - y)))
    return boxes


def stamp_of(levels: Sequence[int], keep_below: float) -> str:
    return f"grid:v1:levels={','.join(map(str, levels))}:keep<{keep_below:g}"


def check_levels(levels: Sequence[int]) -> tuple[int, ...]:
    if (
        not levels
        or any(not 2 <= n <= MAX_LEVEL for n in levels)
        or len(set(levels)) != len(levels)
    ):
        raise InvalidSettings(
            f"grid levels {list(levels)} are not usable",
            hint=f"give distinct levels between 2 and {MAX_LEVEL}, e.g. 2,3",
        )
    return tuple(sorted(levels))


def add_grid_regions(
    store: Store,
    images: ImagePipeline,
    roots: Sequence[str | os.PathLike[str]],
    *,
    levels: Sequence[int] = DEFAULT_LEVELS,
    keep_below: float = DEFAULT_KEEP_BELOW,
    on_progress: Callable[[int, int], None] | None = None,
    select: Callable[[str], bool] | None = None,
) -> RegionReport:
    """Give the images indexed under ``roots`` (those whose path ``select`` accepts, when
    given) their grid regions, where they lack them."""
    levels = check_levels(levels)

    def cut(record: ImageRecord) -> tuple[list[Region], list[Pixels]]:
        assert record.width and record.height  # checked by the pass
        boxes = grid_boxes(record.width, record.height, levels)
        pixels = images.read_regions(record.path, boxes, name=record.path)[1]
        return [Region(SOURCE, box=box) for box in boxes], pixels

    return add_regions(
        store, images, roots, source=SOURCE, stamp=stamp_of(levels, keep_below), find=cut,
        keep_below=keep_below, on_progress=on_progress, select=select,
    )  # fmt: skip
