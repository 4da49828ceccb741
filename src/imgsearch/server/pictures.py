"""The pictures the server makes from indexed files: thumbnails, crops of regions and
the parts of many-part items (video frames, PDF pages), as JPEGs, kept in the thumbnail cache (written whole, keyed by the file's
content) where a key can only name something stored, so no request fills the disk."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from imgsearch.errors import InvalidQuery
from imgsearch.index import Index
from imgsearch.kinds import kind_of
from imgsearch.media.decode import load_rgb
from imgsearch.server import files
from imgsearch.server.errors import ApiError
from imgsearch.store import ImageRecord, Region
from imgsearch.types import Box

REGION_CONTEXT = 0.15


class Pictures:
    """Made from ``index``'s files, opened through ``open_file`` (which checks the file is
    still the indexed one, under a root), decoded as the index decodes them (its
    pipeline's limits, under its bound on concurrent decodes), kept under ``folder``."""

    def __init__(
        self,
        index: Index,
        folder: Path,
        open_file: Callable[[ImageRecord], BinaryIO],
    ) -> None:
        self._index = index
        self._folder = folder
        self._open_file = open_file

    def thumbnail(self, record: ImageRecord, size: int) -> bytes:
        """A JPEG at most ``size`` px (one of :data:`files.THUMBNAIL_SIZES`) on its long
        side, made once from the indexed file and kept, keyed by the file's content.

        The bytes themselves, not a path: a thumbnail is a few KB, and reading it here,
        on the request's worker thread, spares the several thread hand-offs of streaming
        a file (a results page asks for dozens at once)."""
        target = files.thumbnail_path(self._folder, record, size)
        return self._cached_jpeg(record, target, size)

    def region_thumbnail(self, record: ImageRecord, region_id: int, size: int) -> tuple[bytes, str]:
        """A JPEG of region ``region_id`` of ``record``'s image — its box with
        :data:`REGION_CONTEXT` of context on each side, at most ``size`` px on its long
        side — and the key it is cached under (also its ETag). Only stored regions are
        served, so the cache holds at most one file per region and size."""
        found = [r for r in self._index.regions(record) if r.id == region_id]
        box = found[0].region.box if found else None
        if box is None:
            raise ApiError(
                404, "NotFound", f"image {record.id} has no region {region_id} with a box"
            )
        corner = f"{round(box.x)}_{round(box.y)}_{round(box.w)}_{round(box.h)}"
        key = f"{record.digest[:32]}-r{region_id}-{corner}-{size}"
        target = self._folder / record.digest[:2] / f"{key}.jpg"
        crop = Box(box.x, box.y, box.w, box.h, padding=REGION_CONTEXT)
        return self._cached_jpeg(record, target, size, crop), key

    def part(self, record: ImageRecord, kind: str, at: float, size: int) -> tuple[bytes, str]:
        """A JPEG of the part at ``at`` (a video's moment in seconds, a PDF's page number)
        of ``record``, which must be a ``kind`` item, at most ``size`` px on its long side,
        and its key (also its ETag). Kept in the cache only for stored parts — what hits
        link to — so no request fills the disk with arbitrary moments."""
        if record.kind != kind:
            raise ApiError(404, "NotFound", f"item {record.id} is not a {kind}")
        try:
            part = kind_of(kind).part_named(record, at)
        except InvalidQuery as exc:
            raise ApiError(404, "NotFound", exc.message) from None
        where = (
            f"t{round((part.time or 0.0) * 1000)}" if part.time is not None else f"p{part.frame}"
        )
        key = f"{record.digest[:32]}-{where}-{size}"
        stored = any(_same_part(r.region, part) for r in self._index.regions(record))
        target = self._folder / record.digest[:2] / f"{key}.jpg" if stored else None
        return self._cached_jpeg(record, target, size, part=part), key

    def poster(self, record: ImageRecord) -> Region:
        """The part a many-part item's thumbnail shows, chosen by its kind from its stored
        parts and their cosines with the item's own vector (a video: the kept frame most
        like the whole video, not a black first frame; a PDF: its first page)."""
        kind = kind_of(record.kind)
        parts = [r for r in self._index.regions(record) if r.region.source == kind.part]
        if not parts:
            return kind.poster([], np.empty(0, dtype=np.float32))
        index = self._index
        cosines = index.region_vectors([p.id for p in parts]) @ index.vectors([record.id])[0]
        return kind.poster(parts, cosines)

    def _cached_jpeg(
        self,
        record: ImageRecord,
        target: Path | None,
        size: int,
        box: Box | None = None,
        part: Region | None = None,
    ) -> bytes:
        """The JPEG kept at ``target``, else made from the indexed file (``box`` of it, or
        all; a many-part item's ``part``, else its poster), at most ``size`` px on its
        long side, and kept there (written whole; ``None``: not kept). The file is opened
        first either way: a changed or gone file serves nothing."""
        with self._open_file(record) as stream:
            try:
                if target is not None:
                    return target.read_bytes()
            except FileNotFoundError:
                pass
            width, height = (box.w, box.h) if box else (record.width or size, record.height or size)
            needed = math.ceil(size * min(width, height) / max(width, height, 1))
            kind = kind_of(record.kind)
            if kind.part is not None and part is None:  # only on a miss: it reads every part
                part = self.poster(record)
            with self._index.images.decode_slot():
                if part is not None:
                    image = _part_picture(stream, record, part, size)
                else:
                    image = load_rgb(
                        stream,
                        box=box,
                        min_short_edge=max(needed, 1),
                        options=self._index.images.decode_options,
                    )
                image.thumbnail((size, size))
        encoded = io.BytesIO()
        image.save(encoded, "JPEG", quality=85)
        if target is None:
            return encoded.getvalue()
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = files.temporary_beside(target)
        temporary.write_bytes(encoded.getvalue())
        temporary.replace(target)
        return encoded.getvalue()


def _same_part(stored: Region, wanted: Region) -> bool:
    if stored.source != wanted.source:
        return False
    if wanted.time is not None:
        return stored.time is not None and abs(stored.time - wanted.time) < 1e-3
    return stored.frame == wanted.frame


def _part_picture(stream: BinaryIO, record: ImageRecord, part: Region, size: int) -> Image.Image:
    kind = kind_of(record.kind)
    try:
        return kind.picture(stream, record, part, size)
    except ImportError:
        raise ApiError(
            501,
            f"{kind.name.capitalize()}NotSupported",
            f"this server cannot read {kind.name} files (install imgsearch[{kind.extra}])",
        ) from None
