"""Videos: an item whose parts are its kept frames (moments), found as segments.

Recognised by a container signature (MP4/MOV, Matroska/WebM, AVI), or a video extension
on content that is no known image format. Its facts come from the header
(:func:`~imgsearch.media.video.probe`: duration, frame rate, codec, displayed size,
creation time). Its frames are selected by :func:`~imgsearch.media.video.select_frames`
and decoded on a thread ahead of the model, so memory holds a few batches of frames
whatever the video's length; a frame the model sees as the last one kept (cosine ≥
``same_above``) is dropped. A query finds a video by its frames as **segments**
(:mod:`imgsearch.kinds.segments`); its thumbnail is the kept frame most like the whole
video, not a black first frame.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import InvalidQuery, MissingExtra
from imgsearch.kinds.base import MediaKind, PartMatch
from imgsearch.kinds.segments import Moment, clock, find_segments
from imgsearch.media.sniff import looks_like_image, looks_like_video
from imgsearch.media.video import FramePolicy, Selection, VideoLimits
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.store import ImageFacts, ImageRecord, Region, RegionRecord

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})


@dataclass(frozen=True)
class VideoOptions:
    """How videos are read: which frames are kept and the caps that make one a bad video."""

    policy: FramePolicy = field(default_factory=FramePolicy)
    limits: VideoLimits = field(default_factory=VideoLimits)


class VideoKind(MediaKind):
    name = "video"
    part = "frame"
    extensions = VIDEO_EXTENSIONS
    extra = "video"

    def __init__(self, options: VideoOptions | None = None) -> None:
        self.options = options or VideoOptions()
        self.same_above = self.options.policy.same_above

    def claims(self, head: bytes, suffix: str) -> bool:
        return looks_like_video(head) or (suffix in VIDEO_EXTENSIONS and not looks_like_image(head))

    def read_facts(self, path: str, facts: ImageFacts) -> ImageFacts:
        try:
            from imgsearch.media.video import probe
        except ImportError:
            raise MissingExtra("videos", "video", source=path) from None
        info = probe(path, self.options.limits)
        return replace(
            facts,
            width=info.width,
            height=info.height,
            format=info.format,
            captured_at=info.created,
            duration=info.duration,
            fps=info.fps,
            codec=info.codec,
            frame_count=info.frames,
            kind=self.name,
        )

    def parts(
        self, path: str, images: ImagePipeline
    ) -> Iterator[tuple[list[Region], list[Pixels]]]:
        from imgsearch.media.video import KeptFrame, select_frames

        def model_input(frame: KeptFrame) -> Pixels:
            pixels = images.read_image(frame.image, name=path)[1]
            assert pixels is not None
            return pixels

        options = self.options
        frames = select_frames(path, options.policy, options.limits, Selection())
        for batch, pixels in images.read_behind(frames, model_input):
            yield [Region("frame", time=f.time, frame=f.number) for f in batch], pixels

    def matches(
        self, item: ImageRecord, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]
    ) -> list[PartMatch]:
        moments = [
            Moment(frame.id, frame.region.time or 0.0, float(cosine))
            for frame, cosine in zip(parts, cosines, strict=True)
        ]
        return [
            PartMatch(s.region_id, s.cosine, s.start, s)
            for s in find_segments(moments, item.duration or 0.0)
        ]

    def poster(self, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]) -> Region:
        if not parts:
            return Region("frame", time=0.0)
        return parts[int(np.argmax(cosines))].region

    def part_label(self, part: Region) -> str:
        return f"frame @ {clock(part.time or 0.0)}"

    def part_named(self, item: ImageRecord, at: float) -> Region:
        if not np.isfinite(at):
            raise InvalidQuery(f"{at} is not a moment of a video")
        return Region("frame", time=min(max(at, 0.0), item.duration or 0.0))

    def picture(self, stream: BinaryIO, item: ImageRecord, part: Region, size: int) -> Image.Image:
        from imgsearch.media.video_seek import frame_at

        return frame_at(stream, part.time or 0.0, name=item.path, max_side=size)
