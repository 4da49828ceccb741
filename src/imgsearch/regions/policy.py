"""Which regions an index keeps by itself: grid windows, a detector's objects, or both.

Set once (``imgsearch index --regions grid``, ``--detector model.onnx``, or
:meth:`imgsearch.Index.set_region_policy`) and stored in the index, the policy is applied
after every index run — from the CLI, Python or the server's **Index now** — so that new
and changed images get their windows and objects without anyone repeating the flags.
Annotations are not part of it: they come from a file, imported when asked.

Applying a policy runs the resumable region passes (:mod:`imgsearch.regions.passes`) over
the run's folders; images already done with the same parameters are skipped at the cost
of one query. A detector that can no longer be loaded (file moved, corrupt) is reported
as a problem of that pass; the index run itself has succeeded by then and stays so.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from imgsearch.errors import ImgsearchError, InvalidSettings
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.annotations import DEFAULT_PADDING
from imgsearch.regions.detector import (
    DEFAULT_CONFIDENCE,
    DEFAULT_IOU,
    DEFAULT_MAX_DETECTIONS,
    YoloDetector,
    add_detector_regions,
)
from imgsearch.regions.grid_windows import (
    DEFAULT_KEEP_BELOW,
    DEFAULT_LEVELS,
    add_grid_regions,
    check_levels,
)
from imgsearch.regions.passes import RegionReport
from imgsearch.store import Store


@dataclass(frozen=True)
class GridPolicy:
    levels: tuple[int, ...] = DEFAULT_LEVELS
    keep_below: float = DEFAULT_KEEP_BELOW


@dataclass(frozen=True)
class DetectorPolicy:
    """A detector by its file (an absolute path, as the machine that indexes sees it)."""

    path: str
    classes: str | None = None
    confidence: float = DEFAULT_CONFIDENCE
    iou: float = DEFAULT_IOU
    max_detections: int = DEFAULT_MAX_DETECTIONS
    padding: float = DEFAULT_PADDING

    def load(self) -> YoloDetector:
        return YoloDetector(
            self.path,
            classes=self.classes,
            confidence=self.confidence,
            iou=self.iou,
            max_detections=self.max_detections,
        )


@dataclass(frozen=True)
class RegionPolicy:
    grid: GridPolicy | None = None
    detector: DetectorPolicy | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grid": None if self.grid is None else asdict(self.grid),
            "detector": None if self.detector is None else asdict(self.detector),
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> RegionPolicy:
        """The policy an index stored (unknown keys, from a newer imgsearch, are ignored)."""
        try:
            grid = stored.get("grid")
            detector = stored.get("detector")
            return cls(
                grid=None
                if grid is None
                else GridPolicy(tuple(grid["levels"]), float(grid["keep_below"])),
                detector=None
                if detector is None
                else DetectorPolicy(
                    **{k: v for k, v in detector.items() if k in DetectorPolicy.__annotations__}
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSettings(f"the index's region policy is unreadable: {exc}") from None


def grid_policy(levels: Sequence[int], keep_below: float = DEFAULT_KEEP_BELOW) -> GridPolicy:
    return GridPolicy(check_levels(levels), keep_below)


def detector_policy(
    path: str | os.PathLike[str],
    *,
    classes: str | os.PathLike[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    iou: float = DEFAULT_IOU,
    max_detections: int = DEFAULT_MAX_DETECTIONS,
    padding: float = DEFAULT_PADDING,
) -> DetectorPolicy:
    """A detector policy, checked by loading the detector now (a bad file is refused
    before it is stored)."""
    policy = DetectorPolicy(
        str(Path(path).expanduser().resolve()),
        None if classes is None else str(Path(classes).expanduser().resolve()),
        confidence,
        iou,
        max_detections,
        padding,
    )
    policy.load()
    return policy


def apply_policy(
    policy: RegionPolicy,
    store: Store,
    images: ImagePipeline,
    roots: Sequence[str | os.PathLike[str]],
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
    select: Callable[[str], bool] | None = None,
) -> dict[str, RegionReport]:
    """Run the policy's passes over ``roots`` (the images whose path ``select`` accepts,
    when given): a report per source (``grid``, ``detector``)."""
    reports: dict[str, RegionReport] = {}

    def progress(source: str) -> Callable[[int, int], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(source, done, total)

    if policy.grid is not None:
        reports["grid"] = add_grid_regions(
            store, images, roots, levels=policy.grid.levels, keep_below=policy.grid.keep_below,
            on_progress=progress("grid"), select=select,
        )  # fmt: skip
    if policy.detector is not None:
        try:
            detector = policy.detector.load()
        except ImgsearchError as exc:
            reports["detector"] = RegionReport(problems=[(policy.detector.path, str(exc))])
        else:
            reports["detector"] = add_detector_regions(
                store, images, detector, roots, padding=policy.detector.padding,
                on_progress=progress("detector"), select=select,
            )  # fmt: skip
    return reports
