"""One frame of a video at a moment: what a search hit's picture and a video's
thumbnail are made of (needs the ``video`` extra, PyAV).

Seeks to the keyframe at or before the moment, then decodes forward to the first frame
at or after it — at most one keyframe interval of decoding, however long the video.
The frame is turned upright (the container's rotation) like the frames the index saw.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from PIL import Image

from imgsearch.errors import CorruptVideo, EmptyVideo, UnsupportedVideo

TURNS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def frame_at(stream: BinaryIO, time: float, *, name: str) -> Image.Image:
    """The upright RGB frame shown at ``time`` seconds (the last frame when ``time`` lies
    past the end) of the video in ``stream``; raises a VideoError."""
    import av

    try:
        container = av.open(stream, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise UnsupportedVideo(f"not a video FFmpeg can read: {exc}", source=name) from None
    try:
        if not container.streams.video:
            raise UnsupportedVideo("holds no video stream", source=name)
        video = container.streams.video[0]
        video.thread_type = "AUTO"
        frame = _decode_to(container, video, max(time, 0.0), name)
        image: Image.Image = frame.to_image()
        turn = TURNS.get((round((getattr(frame, "rotation", 0) or 0) / 90.0) * 90) % 360)
        return image.transpose(turn) if turn is not None else image
    finally:
        container.close()


def _decode_to(container: Any, video: Any, time: float, name: str) -> Any:
    import av

    if video.time_base is not None and time > 0:
        target = int(time / video.time_base) + (video.start_time or 0)
        try:
            container.seek(target, stream=video, backward=True, any_frame=False)
        except av.FFmpegError:
            container.seek(0)
    last = None
    try:
        for frame in container.decode(video):
            if frame.time is not None and frame.time > time + 1e-3:
                return frame if last is None else last  # ``last`` is on screen at ``time``
            last = frame
    except av.FFmpegError as exc:
        if last is None:
            raise CorruptVideo(f"the video data is damaged: {exc}", source=name) from None
    if last is None:
        raise EmptyVideo("holds no frame that can be decoded", source=name)
    return last
