"""The region side of the Python API (:class:`imgsearch.Index` mixes it in): the regions an
index keeps by itself (its policy), annotations imported as regions, grid windows and
detector objects added on request, labels the model disagrees with, an image's regions.
Heavy parts (importers, detector, region policy) are imported where used."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from imgsearch.models.encoder import Encoder
from imgsearch.models.images import ImagePipeline
from imgsearch.regions.grid_windows import DEFAULT_KEEP_BELOW, DEFAULT_LEVELS
from imgsearch.regions.label_suspects import DEFAULT_PROMPT, SuspectReport, label_suspects
from imgsearch.regions.passes import DEFAULT_PADDING, RegionReport
from imgsearch.store import ImageRecord, RegionRecord, Store

if TYPE_CHECKING:
    from imgsearch.regions.annotations import ImportReport
    from imgsearch.regions.detector import YoloDetector
    from imgsearch.regions.policy import RegionPolicy


class RegionHost(Protocol):
    """What the region side needs of the index it is part of — its public store, model,
    image pipeline, record lookups and change notice — declared as a type its methods
    take ``self`` as (checked by mypy), not as stubs to override."""

    store: Store

    @property
    def encoder(self) -> Encoder: ...

    @property
    def images(self) -> ImagePipeline: ...

    def get(self, image_id: int) -> ImageRecord: ...

    def find(self, path: str | os.PathLike[str]) -> ImageRecord: ...

    def changed(self) -> None: ...


class IndexRegions:
    """The region methods of :class:`imgsearch.Index`; each works on a :class:`RegionHost`."""

    @property
    def region_policy(self: RegionHost) -> RegionPolicy:
        """The regions this index keeps by itself after every run (grid, detector)."""
        from imgsearch.regions.policy import RegionPolicy

        return RegionPolicy.from_dict(self.store.documents.get("region_policy"))

    def set_region_policy(self: RegionHost, policy: RegionPolicy) -> None:
        """Keep these regions from now on (build parts with
        :func:`~imgsearch.regions.policy.grid_policy` and
        :func:`~imgsearch.regions.policy.detector_policy`); they are added on the next
        :meth:`update`. Regions already stored stay until their image changes."""
        self.store.documents.put("region_policy", policy.as_dict())

    def import_annotations(
        self: RegionHost,
        path: str | os.PathLike[str],
        roots: Sequence[str | os.PathLike[str]],
        *,
        padding: float = DEFAULT_PADDING,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Import boxes and labels (COCO JSON, YOLO labels folder, Pascal VOC XML) for the
        images indexed under ``roots`` as their regions: each box is embedded (with
        ``padding`` of context) so that searches match it; see
        :mod:`imgsearch.regions.annotations.importer`."""
        from imgsearch.regions.annotations import import_annotations

        report = import_annotations(
            self.store, self.images, roots, path, padding=padding, on_progress=on_progress
        )
        self.changed()
        return report

    def add_grid_regions(
        self: RegionHost,
        roots: Sequence[str | os.PathLike[str]],
        *,
        levels: Sequence[int] = DEFAULT_LEVELS,
        keep_below: float = DEFAULT_KEEP_BELOW,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> RegionReport:
        """Give the images under ``roots`` grid regions where they lack them (overlapping
        windows at ``levels``; see :mod:`imgsearch.regions.grid_windows` for the scheme and its cost)."""
        from imgsearch.regions.grid_windows import add_grid_regions

        report = add_grid_regions(
            self.store, self.images, roots, levels=levels, keep_below=keep_below,
            on_progress=on_progress,
        )  # fmt: skip
        self.changed()
        return report

    def add_detector_regions(
        self: RegionHost,
        roots: Sequence[str | os.PathLike[str]],
        detector: str | os.PathLike[str] | YoloDetector,
        *,
        padding: float = DEFAULT_PADDING,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> RegionReport:
        """Run ``detector`` (an ONNX file in the Ultralytics YOLO layout, or a configured
        :class:`~imgsearch.regions.detector.YoloDetector` for other classes or thresholds) over the
        images under ``roots`` that lack its regions; each object found becomes a region
        with its class as label (see :mod:`imgsearch.regions.detector`)."""
        from imgsearch.regions.detector import YoloDetector, add_detector_regions

        if not isinstance(detector, YoloDetector):
            detector = YoloDetector(Path(detector))
        report = add_detector_regions(
            self.store, self.images, detector, roots, padding=padding, on_progress=on_progress
        )
        self.changed()
        return report

    def label_suspects(
        self: RegionHost,
        *,
        limit: int = 100,
        prompt: str = DEFAULT_PROMPT,
        source: str | None = "annotation",
    ) -> SuspectReport:
        """Labelled regions whose label the model disagrees with, likeliest mistakes first
        (zero-shot against the collection's label set; see :mod:`imgsearch.regions.label_suspects`)."""
        return label_suspects(self.store, self.encoder, limit=limit, prompt=prompt, source=source)

    def regions(
        self: RegionHost, image: int | str | os.PathLike[str] | ImageRecord
    ) -> list[RegionRecord]:
        """An image's regions (objects, patches; a video's kept frames) with their boxes,
        labels and sources."""
        if isinstance(image, ImageRecord):
            return self.store.regions.of([image.id])
        record = self.get(image) if isinstance(image, int) else self.find(image)
        return self.store.regions.of([record.id])
