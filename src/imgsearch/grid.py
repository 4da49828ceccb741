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

The pass runs after an index run, over the images under the folders that lack grid
regions made with these parameters (each image's regions are written in one transaction
with a stamp of the scheme): killed, it resumes where it stopped; an image that changes
loses its regions with its old vector and gets new ones on the next pass.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgsearch.encoder import Encoder, Pixels, embed_batches
from imgsearch.errors import ImgsearchError, InvalidSettings
from imgsearch.pipeline import ordered_map
from imgsearch.store import ImageRecord, Region, RegionSet, Store, WriteBatch
from imgsearch.types import Box

SOURCE = "grid"
DEFAULT_LEVELS = (2, 3)
DEFAULT_KEEP_BELOW = 0.95
IMAGES_PER_WRITE = 8
MAX_LEVEL = 8


@dataclass
class GridReport:
    """``images`` given grid regions (``regions`` kept, ``pruned`` too like the whole
    picture), model inputs ``embedded``, images ``skipped`` (already done), and problems."""

    images: int = 0
    regions: int = 0
    pruned: int = 0
    embedded: int = 0
    skipped: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        counts = ("images", "regions", "pruned", "embedded", "skipped")
        return {
            **{name: getattr(self, name) for name in counts},
            "seconds": round(self.seconds, 3),
            "problems": [{"path": p, "message": m} for p, m in self.problems],
        }


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
    encoder: Encoder,
    roots: Sequence[str | os.PathLike[str]],
    *,
    levels: Sequence[int] = DEFAULT_LEVELS,
    keep_below: float = DEFAULT_KEEP_BELOW,
    on_progress: Callable[[int, int], None] | None = None,
) -> GridReport:
    """Give the images indexed under ``roots`` their grid regions, where they lack them."""
    started = time.monotonic()
    levels = check_levels(levels)
    stamp = stamp_of(levels, keep_below)
    report = GridReport()
    real = [str(Path(root).expanduser().resolve()) for root in roots]
    done = store.region_stamps(SOURCE)
    files = [f for f in store.files_under(real) if f.has_vector]
    todo = [f.id for f in files if done.get(f.id) != stamp]
    report.skipped = len(files) - len(todo)
    for start in range(0, len(todo), IMAGES_PER_WRITE):
        records = store.get(todo[start : start + IMAGES_PER_WRITE])
        cut = ordered_map(
            lambda record: _cut(encoder, record, levels),
            records,
            workers=encoder.decode_workers,
            window=len(records),
        )
        sets = []
        whole = store.vectors([r.id for r in records])
        for record, future, vector in zip(records, cut, whole, strict=True):
            boxes, pixels, problem = future.result()
            if problem is not None:
                report.problems.append((record.path, problem))
                continue
            vectors = embed_batches(encoder, pixels)
            report.embedded += len(pixels)
            keep = vectors @ vector < keep_below
            report.pruned += int((~keep).sum())
            regions = [
                (Region(SOURCE, box=box), v)
                for box, v, kept in zip(boxes, vectors, keep, strict=True)
                if kept
            ]
            sets.append(RegionSet(SOURCE, regions, image_id=record.id, stamp=stamp))
            report.regions += len(regions)
        store.write(WriteBatch(regions=sets))
        report.images += len(sets)
        if on_progress is not None:
            on_progress(min(start + IMAGES_PER_WRITE, len(todo)), len(todo))
    report.seconds = time.monotonic() - started
    return report


def _cut(
    encoder: Encoder, record: ImageRecord, levels: Sequence[int]
) -> tuple[list[Box], list[Pixels], str | None]:
    """The windows of ``record``'s image and their model inputs, or why there are none."""
    try:
        info = Path(record.path).stat()
    except OSError as exc:
        return [], [], f"cannot read it: {exc.strerror}"
    if (info.st_size, info.st_mtime_ns) != (record.size, record.mtime_ns):
        return [], [], "changed since it was indexed: index the folder again first"
    if not record.width or not record.height:
        return [], [], "the image's size is not known"
    boxes = grid_boxes(record.width, record.height, levels)
    try:
        return boxes, encoder.read_regions(record.path, boxes, name=record.path)[1], None
    except ImgsearchError as exc:
        return [], [], str(exc)
