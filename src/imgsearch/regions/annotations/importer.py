"""Annotated boxes become regions of indexed images: each box is cut from its image with
some context around it (``padding``: that share of the box's width and height on every
side, 0.1 by default — annotation boxes are tight, a box a person draws is not), embedded
as an image, and stored with its label, so searches match inside images and say where.

Importing again updates: an image the file names gets exactly the boxes it lists now
(none: its annotation regions are cleared); a box whose label and position did not
change keeps its vector (nothing is embedded again); an image the file does not name
keeps what it had. Boxes reaching past the image are cut at its edge; a box mostly
outside it, an image the index does not hold, a file changed since it was indexed and an
entry the file cannot express are reported, one by one, and the rest is imported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgsearch.errors import ImgsearchError
from imgsearch.models.encoder import Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.annotations.match import PathMatcher
from imgsearch.regions.annotations.read import read_annotations
from imgsearch.regions.annotations.records import LabeledBox, Problem
from imgsearch.regions.passes import DEFAULT_PADDING
from imgsearch.store import ImageRecord, Region, RegionRecord, RegionSet, Store, WriteBatch
from imgsearch.types import Box

MIN_INSIDE_SHARE = 0.5
"""A box keeps at least this share of its area inside the image, or it is reported."""
IMAGES_PER_WRITE = 16
MAX_BOXES_PER_IMAGE = 5_000
"""Boxes imported for one image; the rest are reported (dense detection sets have a few
hundred at most; 150,000 boxes on one image once held a server at 12 GB for 400 s)."""
BOXES_PER_WRITE = 5_000
"""Boxes planned, embedded and written together (fewer images per write when they hold
many): what an import keeps in memory besides one image's pixels."""
CROP_PIXELS_PER_READ = 24_000_000
"""Pixels of the crops cut from one decode of an image (at least one box): its boxes are
cut this many at a time, so a crop list never grows with the number of boxes."""


@dataclass
class ImportReport:
    """What an import did. ``images``: images whose annotation regions it set; ``regions``:
    the annotation regions they hold now; ``embedded`` of them were cut and embedded,
    ``kept`` kept their vectors; ``removed``: boxes gone since the last import;
    ``clipped``: boxes cut at the image's edge."""

    format: str
    images: int = 0
    regions: int = 0
    embedded: int = 0
    kept: int = 0
    removed: int = 0
    clipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        counts = ("images", "regions", "embedded", "kept", "removed", "clipped")
        return {
            "format": self.format,
            **{name: getattr(self, name) for name in counts},
            "seconds": round(self.seconds, 3),
            "problems": [{"where": p.where, "message": p.message} for p in self.problems],
        }


@dataclass
class _Planned:
    """One image's regions: those with a vector already, and those still to embed."""

    record: ImageRecord
    regions: list[Region]
    vectors: list[Vectors | None]
    kept: int = 0
    removed: int = 0
    failed: bool = False


def import_annotations(
    store: Store,
    images: ImagePipeline,
    roots: Sequence[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    *,
    padding: float = DEFAULT_PADDING,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the annotations at ``path`` for the images indexed under ``roots``."""
    started = time.monotonic()
    parsed = read_annotations(Path(path))
    report = ImportReport(parsed.format, problems=list(parsed.problems))
    real_roots = [str(Path(root).expanduser().resolve()) for root in roots]
    files = store.files_under(real_roots)
    matcher = PathMatcher([(relative_to_roots(f.path, real_roots), f.id) for f in files])
    wanted: dict[int, list[LabeledBox]] = {}
    for named, boxes in parsed.images.items():
        found = matcher.find(named, by_stem=parsed.by_stem)
        if isinstance(found, str):
            report.problems.append(Problem(named, found))
        else:
            wanted.setdefault(found, []).extend(boxes)
    for image_id, boxes in wanted.items():
        if len(boxes) > MAX_BOXES_PER_IMAGE:
            report.problems.append(
                Problem(
                    f"image {image_id}",
                    f"{len(boxes):,} boxes, over the limit of {MAX_BOXES_PER_IMAGE:,} per "
                    f"image: the first {MAX_BOXES_PER_IMAGE:,} are imported",
                )
            )
            del boxes[MAX_BOXES_PER_IMAGE:]
    ids = sorted(wanted)
    done_images = 0
    for chunk in _chunks(ids, wanted):
        planned = _plan(store, chunk, wanted, report)
        _embed(images, planned, padding, report)
        done = [p for p in planned if not p.failed]
        sets = [RegionSet("annotation", _pairs(p), image_id=p.record.id) for p in done]
        store.write(WriteBatch(regions=sets))
        report.images += len(sets)
        report.regions += sum(len(s.regions) for s in sets)
        report.kept += sum(p.kept for p in done)
        report.removed += sum(p.removed for p in done)
        done_images += len(chunk)
        if on_progress is not None:
            on_progress(done_images, len(ids))
    report.seconds = time.monotonic() - started
    return report


def _chunks(ids: list[int], wanted: dict[int, list[LabeledBox]]) -> Iterator[list[int]]:
    """``ids`` in writes of at most :data:`IMAGES_PER_WRITE` images and (unless one image
    has more) :data:`BOXES_PER_WRITE` boxes."""
    return _budgeted(ids, lambda i: len(wanted[i]), BOXES_PER_WRITE, IMAGES_PER_WRITE)


def _budgeted(
    items: list[int], cost: Callable[[int], float], budget: float, most: int | None = None
) -> Iterator[list[int]]:
    """``items`` in order, in groups whose costs add up to at most ``budget`` (one item at
    least, whatever it costs) and of at most ``most`` items."""
    group: list[int] = []
    spent = 0.0
    for item in items:
        price = cost(item)
        if group and (spent + price > budget or len(group) == most):
            yield group
            group, spent = [], 0.0
        group.append(item)
        spent += price
    if group:
        yield group


def _pairs(plan: _Planned) -> list[tuple[Region, Vectors]]:
    pairs = []
    for region, vector in zip(plan.regions, plan.vectors, strict=True):
        assert vector is not None
        pairs.append((region, vector))
    return pairs


def relative_to_roots(path: str, roots: list[str]) -> str:
    """``path`` below the first of ``roots`` that holds it (unchanged if none does)."""
    for root in roots:
        if path.startswith(root.rstrip("/") + "/"):
            return path[len(root.rstrip("/")) + 1 :]
    return path


def _plan(
    store: Store, ids: list[int], wanted: dict[int, list[LabeledBox]], report: ImportReport
) -> list[_Planned]:
    """Each image's regions in pixels, with the vectors of those unchanged since last time."""
    existing: dict[int, list[RegionRecord]] = {}
    for region in store.regions.of(ids):
        if region.region.source == "annotation":
            existing.setdefault(region.image_id, []).append(region)
    planned = []
    for record in store.get(ids):
        regions = [r for box in wanted[record.id] if (r := _region(record, box, report))]
        old = {_key(r.region): r.id for r in existing.get(record.id, [])}
        reused = {n: old.pop(_key(r)) for n, r in enumerate(regions) if _key(r) in old}
        stored = store.regions.vectors(list(reused.values())) if reused else None
        vectors: list[Vectors | None] = [None] * len(regions)
        for row, n in enumerate(reused):
            assert stored is not None
            vectors[n] = stored[row]
        removed = len(existing.get(record.id, [])) - len(reused)
        planned.append(_Planned(record, regions, vectors, kept=len(reused), removed=removed))
    return planned


def _key(region: Region) -> tuple[object, ...]:
    box = region.box
    assert box is not None
    return (region.label, round(box.x, 2), round(box.y, 2), round(box.w, 2), round(box.h, 2))


def _region(record: ImageRecord, box: LabeledBox, report: ImportReport) -> Region | None:
    """``box`` in pixels of ``record``'s displayed image, cut at its edges; None (reported)
    when the image's size is unknown or the box lies mostly outside it."""
    width, height = record.width, record.height
    if not width or not height:
        report.problems.append(Problem(record.path, "the image's size is not known"))
        return None
    scale_x, scale_y = (width, height) if box.unit == "fraction" else (1, 1)
    x, y, w, h = box.x * scale_x, box.y * scale_y, box.w * scale_x, box.h * scale_y
    left, top = max(0.0, x), max(0.0, y)
    right, bottom = min(float(width), x + w), min(float(height), y + h)
    inside = max(0.0, right - left) * max(0.0, bottom - top)
    if inside < MIN_INSIDE_SHARE * w * h or inside <= 0:
        report.problems.append(
            Problem(
                record.path,
                f"box {box.label!r} at {x:.0f},{y:.0f} {w:.0f}×{h:.0f} lies outside the "
                f"{width}×{height} image",
            )
        )
        return None
    if (left, top, right, bottom) != (x, y, x + w, y + h):
        report.clipped += 1
    return Region(
        "annotation",
        box=Box(left, top, right - left, bottom - top),
        label=box.label,
        score=box.score,
    )


def _embed(
    images: ImagePipeline, planned: list[_Planned], padding: float, report: ImportReport
) -> None:
    """Cut and embed the regions that have no vector yet, a few crops at a time (see
    :data:`CROP_PIXELS_PER_READ`); an image that cannot be read (or changed since it was
    indexed) keeps its regions as they were."""
    for plan in planned:
        todo = [n for n, v in enumerate(plan.vectors) if v is None]
        if not todo:
            continue
        problem = _changed(plan.record)
        for group in _reads(plan, todo, padding) if problem is None else ():
            boxes = [_padded(plan.regions[n], padding) for n in group]
            try:
                cut = images.read_regions(plan.record.path, boxes, name=plan.record.path)[1]
            except ImgsearchError as exc:
                problem = str(exc)
                break
            for n, vector in zip(group, images.embed(cut), strict=True):
                plan.vectors[n] = vector
            del cut
        if problem is not None:
            report.problems.append(Problem(plan.record.path, problem))
            plan.failed = True  # nothing is written for this image
            continue
        report.embedded += len(todo)


def _reads(plan: _Planned, todo: list[int], padding: float) -> Iterator[list[int]]:
    """``todo`` in groups whose padded crops add up to at most :data:`CROP_PIXELS_PER_READ`
    pixels (a box at least), each cut from one decode of the image."""

    def area(n: int) -> float:
        box = plan.regions[n].box
        assert box is not None
        return box.w * box.h * (1 + 2 * padding) ** 2

    return _budgeted(todo, area, CROP_PIXELS_PER_READ)


def _padded(region: Region, padding: float) -> Box:
    box = region.box
    assert box is not None
    return Box(box.x, box.y, box.w, box.h, padding=padding)


def _changed(record: ImageRecord) -> str | None:
    """Why ``record``'s file can no longer be cut (gone, or not the file indexed)."""
    try:
        info = Path(record.path).stat()
    except OSError as exc:
        return f"cannot read it: {exc.strerror}"
    if (info.st_size, info.st_mtime_ns) != (record.size, record.mtime_ns):
        return "changed since it was indexed: index the folder again first"
    return None
