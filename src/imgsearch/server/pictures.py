"""The pictures the server makes from indexed files: thumbnails, crops of regions and
video frames, as JPEGs, kept in the thumbnail cache (written whole, keyed by the file's
content) where a key can only name something stored, so no request fills the disk."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from imgsearch.index import Index
from imgsearch.media.decode import load_rgb
from imgsearch.media.video_seek import frame_at
from imgsearch.server import files
from imgsearch.server.errors import ApiError
from imgsearch.store import ImageRecord
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

    def video_frame(self, record: ImageRecord, time: float, size: int) -> tuple[bytes, str]:
        """A JPEG of ``record``'s video at ``time`` seconds, at most ``size`` px on its long
        side, and its key (also its ETag). Kept in the cache only at the moments of kept
        frames — what hits link to — so no request fills the disk with arbitrary times."""
        if not record.is_video:
            raise ApiError(404, "NotFound", f"item {record.id} is not a video")
        moment = min(max(time, 0.0), record.duration or 0.0)
        key = f"{record.digest[:32]}-t{round(moment * 1000)}-{size}"
        kept = any(
            r.region.time is not None and abs(r.region.time - moment) < 1e-3
            for r in self._index.regions(record)
        )
        target = self._folder / record.digest[:2] / f"{key}.jpg" if kept else None
        return self._cached_jpeg(record, target, size, moment=moment), key

    def poster_time(self, record: ImageRecord) -> float:
        """The moment a video's thumbnail shows: its kept frame most like the whole video
        (the frame nearest its mean vector), not a black first frame."""
        frames = [r for r in self._index.regions(record) if r.region.time is not None]
        if not frames:
            return 0.0
        index = self._index
        cosines = index.region_vectors([f.id for f in frames]) @ index.vectors([record.id])[0]
        return float(frames[int(np.argmax(cosines))].region.time or 0.0)

    def _cached_jpeg(
        self,
        record: ImageRecord,
        target: Path | None,
        size: int,
        box: Box | None = None,
        moment: float | None = None,
    ) -> bytes:
        """The JPEG kept at ``target``, else made from the indexed file (``box`` of it, or
        all; a video's frame at ``moment``, else its poster), at most ``size`` px on its
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
            if record.is_video and moment is None:  # only on a miss: it reads every frame
                moment = self.poster_time(record)
            with self._index.images.decode_slot():
                if record.is_video:
                    image = self._frame(stream, record, moment or 0.0, size)
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

    @staticmethod
    def _frame(stream: BinaryIO, record: ImageRecord, moment: float, size: int) -> Image.Image:
        try:
            return frame_at(stream, moment, name=record.path, max_side=size)
        except ImportError:
            raise ApiError(
                501,
                "VideoNotSupported",
                "this server cannot read videos (install imgsearch[video])",
            ) from None
