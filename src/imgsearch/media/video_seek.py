"""One frame of a video at a moment: what a search hit's picture and a video's
thumbnail are made of (needs the ``video`` extra, PyAV).

Seeks to the keyframe at or before the moment, then decodes forward to the first frame
at or after it — at most one keyframe interval of decoding, however long the video.
The frame is turned upright (the container's rotation) like the frames the index saw.
The file is opened like the indexer opens it (:mod:`imgsearch.media.containers`: no
network, no playlists, every frame's size capped by the decoder before it is allocated),
because the file served may have changed since it was indexed.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any, BinaryIO

from PIL import Image

from imgsearch.errors import CorruptVideo, EmptyVideo
from imgsearch.media.containers import check_frame, decoded_frames, decoding, open_video
from imgsearch.media.video import VideoLimits

TURNS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def frame_at(
    stream: BinaryIO,
    time: float,
    *,
    name: str,
    max_side: int | None = None,
    max_pixels: int = VideoLimits.max_frame_pixels,
) -> Image.Image:
    """The upright RGB frame shown at ``time`` seconds (the last frame when ``time`` lies
    past the end) of the video in ``stream``, no larger than ``max_side`` on its long side
    (scaled by FFmpeg: a full 8K RGB frame is never made for a thumbnail); raises a
    VideoError, :class:`~imgsearch.errors.VideoLimitExceeded` for frames over
    ``max_pixels``."""
    with open_video(stream, name, max_pixels) as container:
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        frame = _decode_to(container, video, max(time, 0.0), name, max_pixels)
        scale = 1.0 if max_side is None else min(1.0, max_side / max(frame.width, frame.height))
        width, height = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
        image: Image.Image = frame.to_image(width=width, height=height)
        turn = TURNS.get((round((getattr(frame, "rotation", 0) or 0) / 90.0) * 90) % 360)
        return image.transpose(turn) if turn is not None else image


def _decode_to(container: Any, video: Any, time: float, name: str, max_pixels: int) -> Any:
    import av

    if video.time_base is not None and time > 0:
        target = int(time / video.time_base) + (video.start_time or 0)
        try:
            container.seek(target, stream=video, backward=True, any_frame=False)
        except av.FFmpegError:
            container.seek(0)
    last = None
    try:
        with decoding(name, max_pixels), closing(decoded_frames(container, video)) as frames:
            for frame in frames:
                check_frame(frame, name, max_pixels)
                if frame.time is not None and frame.time > time + 1e-3:
                    return frame if last is None else last  # ``last`` is on screen at ``time``
                last = frame
    except CorruptVideo:  # damaged further on: the last good frame is the best there is
        if last is None:
            raise
    if last is None:
        raise EmptyVideo("holds no frame that can be decoded", source=name)
    return last
