"""What a store keeps about each image, and what it is asked to write in one batch.

These are the nouns of the :class:`~imgsearch.store.base.Store` contract; the
embedded and the PostgreSQL store read and write exactly these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.media.archive import ArchiveMetadata
from imgsearch.store.filters import (
    FORMAT_ALIASES,
    MAX_DIMENSION,
    MAX_FILTER_VALUES,
    MAX_TEXT_PHRASE,
    Filters,
    format_name,
)
from imgsearch.types import Box, TextLine

__all__ = [
    "FORMAT_ALIASES",
    "MAX_DIMENSION",
    "MAX_FILTER_VALUES",
    "MAX_TEXT_PHRASE",
    "Filters",
    "format_name",
]  # re-exported: the filters are nouns of the store contract too

Vector = NDArray[np.float32]


@dataclass(frozen=True)
class ImageFacts:
    """What is read from one image file: where it is, its identity and its metadata.

    ``mtime_ns`` is the file's modification time in nanoseconds; ``captured_at``
    is the EXIF capture time as POSIX seconds (naive EXIF times are read in the
    local time zone, as photo apps do), ``None`` when the file has none.
    ``digest`` is the SHA-256 of the file's bytes, hex.
    """

    path: str
    size: int
    mtime_ns: int
    digest: str
    width: int | None = None
    height: int | None = None
    format: str | None = None
    captured_at: float | None = None
    camera: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    duration: float | None = None
    """A video's length in seconds; ``None`` for a still image (what makes an item a video)."""
    fps: float | None = None
    codec: str | None = None
    frame_count: int | None = None
    """Frames the video's stream declares (not the kept frames: those are its regions)."""
    kind: str = "image"
    """What the item is: one of :mod:`imgsearch.kinds` (``image``, ``video``, ``pdf``),
    which says how it is read, what its parts are and how it is shown."""
    archive: ArchiveMetadata | None = None
    """What an archive says of it: XMP (embedded and its sidecar), IPTC, EXIF descriptions
    (:mod:`imgsearch.media.archive`); ``None``: nothing."""
    sidecar_mtime_ns: int = 0
    """When its XMP sidecar was last changed (0: it has none)."""

    @property
    def is_video(self) -> bool:
        return self.kind == "video"


@dataclass(frozen=True)
class ImageRecord(ImageFacts):
    """An indexed image: its facts plus the id the store gave it and what users added.

    Ids are stable: a moved or modified file keeps its id.
    """

    id: int = 0
    caption: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def sort_time(self) -> float:
        """Capture time, falling back to the file's modification time (POSIX seconds)."""
        return self.captured_at if self.captured_at is not None else self.mtime_ns / 1e9


@dataclass(frozen=True)
class StoredFile:
    """The part of a record that syncing with the disk needs, cheap to list in bulk."""

    id: int
    path: str
    size: int
    mtime_ns: int
    digest: str
    has_vector: bool
    width: int | None = None
    height: int | None = None
    has_thumbprint: bool = True
    """False for a picture indexed before thumbprints were stored (the next run adds it)."""
    sidecar_mtime_ns: int = 0
    """When its XMP sidecar was last changed, as stored (0: none)."""


@dataclass(frozen=True)
class Failure:
    """A file that could not be indexed, kept so the user can see why and it is not retried
    until it changes on disk."""

    path: str
    size: int
    mtime_ns: int
    code: str
    message: str
    seen_at: float = 0.0


@dataclass(frozen=True)
class ImageWrite:
    """Insert (``id is None``) or update one image.

    On update, ``vector=None`` keeps the stored vector (a move, a touched file,
    a duplicate's metadata) and a vector replaces it. ``thumbprint`` (see
    :mod:`imgsearch.duplicates.thumbprint`) is written with the vector, and kept with it.
    """

    facts: ImageFacts
    vector: Vector | None
    id: int | None = None
    thumbprint: bytes | None = None


BOX_SOURCES = ("annotation", "detector", "grid")
OBJECT_SOURCES = ("annotation", "detector")
"""Boxes around objects (grid patches are not): what a picture's object evidence is
read from (:mod:`imgsearch.query.calibration`)."""
"""Where a region with a box came from: imported boxes, a detector's, the fixed grid of
patches. The other regions are an item's parts, named by its kind (:mod:`imgsearch.kinds`):
a video's kept frames (a moment: ``time``, no box), a document's pages (``frame`` is the
page number)."""


@dataclass(frozen=True)
class Region:
    """A part of an indexed image with a vector of its own: an object's box (``box``) or,
    for the frames of a video, a moment (``time``, seconds from the start) — one shape
    for every kind of sub-item, so search treats them alike."""

    source: str
    box: Box | None = None
    label: str | None = None
    score: float | None = None
    time: float | None = None
    frame: int | None = None
    """A video frame's number in its stream (with ``time``), a PDF page's number (from 1)."""

    def __post_init__(self) -> None:
        placed = self.time is not None or self.frame is not None
        part = self.source.isascii() and self.source.isalpha() and self.box is None and placed
        if self.source not in BOX_SOURCES and not part:
            raise ValueError(
                f"region source {self.source!r} is neither one of {BOX_SOURCES} nor an "
                "item's part (a frame, a page: no box, a time or a number)"
            )
        if self.box is not None and (self.box.unit != "px" or self.box.padding):
            raise ValueError("a region's box is in pixels of the image, without padding")
        if self.score is not None and not np.isfinite(self.score):
            raise ValueError(f"region score {self.score} is not a number")
        if self.time is not None and not (np.isfinite(self.time) and self.time >= 0):
            raise ValueError(f"region time {self.time} is not a moment")
        if self.frame is not None and self.frame < 0:
            raise ValueError(f"frame number {self.frame} is negative")


@dataclass(frozen=True)
class RegionRecord:
    """A stored region: its id (stable until its source replaces it) and its image's."""

    id: int
    image_id: int
    region: Region

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: id, source, label, score, box (pixels) or null, time and frame number
        (a video's frame) or null."""
        box = self.region.box
        return {
            "id": self.id,
            "source": self.region.source,
            "label": self.region.label,
            "score": self.region.score,
            "box": None if box is None else {"x": box.x, "y": box.y, "w": box.w, "h": box.h},
            "time": self.region.time,
            "frame": self.region.frame,
        }


@dataclass(frozen=True)
class RegionSet:
    """Replace every region that ``source`` gave one image with ``regions`` (each with its
    vector, in order); an empty list clears them. The image is an indexed one
    (``image_id``) or the one at position ``image_index`` of the same batch's ``images``
    (its id is not known before the batch is written)."""

    source: str
    regions: list[tuple[Region, Vector]]
    image_id: int | None = None
    image_index: int | None = None
    stamp: str | None = None
    """What made them (a scheme and its parameters), kept with the image: a pass that
    computes regions skips images stamped with its own parameters, even those where it
    kept none. Cleared with the regions when the image changes."""

    def __post_init__(self) -> None:
        if (self.image_id is None) == (self.image_index is None):
            raise ValueError("a region set names its image by image_id or by image_index")
        if any(region.source != self.source for region, _ in self.regions):
            raise ValueError(f"every region of a {self.source!r} set comes from {self.source!r}")


@dataclass(frozen=True)
class TextSet:
    """The text read in one image (OCR), replacing what was stored for it: its ``lines``
    (``[]``: it holds none), the ``stamp`` of the reader and settings that read them (an
    image with a current stamp is not read again), and a ``warning`` when reading failed
    (the image stays indexed, its text empty). ``digest``: of the bytes it was read from;
    the text is not written when the image holds other bytes by then. The image is named
    as in :class:`RegionSet`."""

    lines: list[TextLine]
    stamp: str
    digest: str
    image_id: int | None = None
    image_index: int | None = None
    warning: str | None = None

    def __post_init__(self) -> None:
        if (self.image_id is None) == (self.image_index is None):
            raise ValueError("a text set names its image by image_id or by image_index")


@dataclass
class WriteBatch:
    """Everything one store transaction applies: all of it lands, or none of it."""

    images: list[ImageWrite] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    """Paths whose failure records are dropped (the file was fixed or removed)."""
    regions: list[RegionSet] = field(default_factory=list)
    """Region sets applied after the images. An image written with a new vector (its
    content changed) loses every region first, and a deleted image its regions: a region
    never outlives the pixels it was cut from."""
    texts: list[TextSet] = field(default_factory=list)
    """Text read in images, applied after the images. Like regions, an image's text is
    dropped when it gets a new vector (unless this batch brings its new text)."""

    def __bool__(self) -> bool:
        return bool(
            self.images
            or self.deletes
            or self.failures
            or self.resolved
            or self.regions
            or self.texts
        )

    def region_vectors(self) -> list[Vector]:
        return [vector for group in self.regions for _, vector in group.regions]


@dataclass(frozen=True)
class IndexSettings:
    """What an index is bound to: vectors from another model are meaningless here."""

    model_id: str
    dim: int
    preprocessing: str = ""
    """The model's preprocessing, serialised; informative, the model id is what is checked."""
    source: str = ""
    """How to load the model again: a catalog name, hub repo id or folder (``:int8`` kept)."""


@dataclass(frozen=True)
class Run:
    """One indexing run, as ``imgsearch status`` reports it."""

    started_at: float
    finished_at: float | None
    roots: tuple[str, ...]
    added: int = 0
    updated: int = 0
    moved: int = 0
    duplicates: int = 0
    removed: int = 0
    failed: int = 0
    unchanged: int = 0
    embedded: int = 0
    completed: bool = False

    def counts(self) -> dict[str, int]:
        """The per-kind counts, as stores keep them (one JSON object)."""
        names = ("added", "updated", "moved", "duplicates", "removed", "failed", "unchanged")
        return {name: getattr(self, name) for name in (*names, "embedded")}


@dataclass(frozen=True)
class StoreStats:
    images: int
    vectors: int
    failures: int
    bytes_on_disk: int
    settings: IndexSettings | None
    last_run: Run | None
    vector_index: str
    """How vector search runs now, e.g. ``exact`` or ``hnsw``."""
    regions: int = 0
    """Regions (objects, patches, video frames) stored with their own vectors."""
    videos: int = 0
    """Of ``images``, how many are videos."""
    kinds: Mapping[str, int] = field(default_factory=dict)
    """Of ``images``, how many are of each kind (``image``, ``video``, ``pdf`` …: see
    :mod:`imgsearch.kinds`); kinds with none are left out."""


def record_from_row(row: Sequence[Any], tags: Sequence[str]) -> ImageRecord:
    """A record from a row of ``id``, the fact columns in :class:`ImageFacts` order and
    ``caption``, with ``tags`` already decoded (each store stores them its own way)."""
    names = [f.name for f in fields(ImageFacts)]
    facts = dict(zip(names, row[1 : 1 + len(names)], strict=True))
    facts["archive"] = ArchiveMetadata.from_dict(facts["archive"])
    facts["sidecar_mtime_ns"] = int(facts["sidecar_mtime_ns"] or 0)
    return ImageRecord(id=row[0], **facts, caption=row[1 + len(names)], tags=tuple(tags))
