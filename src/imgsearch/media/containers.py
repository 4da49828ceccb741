"""Opening a video with FFmpeg (PyAV) the one safe way, for indexing and for serving frames.

A file named ``.mp4`` can hold anything, and FFmpeg guesses a format from the content. Some
formats are not files but instructions: an SDP description makes FFmpeg open UDP sockets
and wait for packets, an HLS playlist or a ``concat`` list makes it open other files or
URLs. A folder's files are never allowed to do that, so every container is opened with

- ``protocol_whitelist=file``: no nested network or pipe protocol, whatever the format;
- ``format_whitelist`` = :data:`VIDEO_DEMUXERS`: only the containers of real video files
  (MP4/MOV, Matroska/WebM, AVI, MPEG program and transport streams), never a playlist, a
  description or a still-image sequence;
- ``max_pixels`` on the decoder (in the stream probe too): FFmpeg refuses a frame larger
  than the cap *before* allocating it, whatever size the container's header declared.
  A header that says 64×64 in front of 16000×16000 frames once cost 1.7 GB a frame.

:func:`decoding` turns the errors of decoding into the typed video errors.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from imgsearch.errors import CorruptVideo, UnsupportedVideo, VideoLimitExceeded
from imgsearch.media.sniff import looks_like_video

VIDEO_DEMUXERS = ("mov", "matroska", "avi", "mpegts", "mpeg")
"""FFmpeg demuxers a video file may be read with (``mov`` also reads MP4 and M4V, and
``matroska`` WebM)."""


@contextmanager
def open_video(
    source: str | os.PathLike[str] | BinaryIO, name: str, max_pixels: int, head: bytes = b""
) -> Iterator[Any]:
    """The container in ``source`` (a path or an open binary file), opened as the module
    docstring says, its first video stream's decoder limited to ``max_pixels`` a frame;
    closed on leaving. Raises :class:`~imgsearch.errors.UnsupportedVideo` for what is no
    video (or no allowed container) and :class:`~imgsearch.errors.CorruptVideo` for a video
    container FFmpeg cannot read (``head``: the file's first bytes, which tell them apart)."""
    import av

    limit = {"max_pixels": str(max_pixels)}
    options = {
        "protocol_whitelist": "file",
        "format_whitelist": ",".join(VIDEO_DEMUXERS),
        **limit,  # PyAV hands these to the decoders that probe the streams too
    }
    opened: Any = os.fspath(source) if isinstance(source, os.PathLike) else source
    try:
        container = av.open(opened, metadata_errors="ignore", options=options)
    except av.FFmpegError as exc:
        if looks_like_video(head):  # a video container, but FFmpeg cannot read it
            raise CorruptVideo(f"the video is damaged: {exc}", source=name) from None
        raise UnsupportedVideo(f"not a video FFmpeg may read: {exc}", source=name) from None
    try:
        if not container.streams.video:
            raise UnsupportedVideo("holds no video stream", source=name)
        container.streams.video[0].codec_context.options = limit
        yield container
    finally:
        container.close()


def decoded_frames(container: Any, stream: Any) -> Generator[Any, None, None]:
    """The frames of ``stream`` in decoding order, as ``container.decode(stream)`` gives
    them — but with PyAV's packet reader closed explicitly when the caller stops early
    (or this generator is dropped).

    Why: PyAV's ``demux`` is a compiled generator whose clean-up (freeing its read
    packet) runs on an explicit ``close()`` but not when it is merely dropped, and
    ``container.decode`` drops its ``demux`` that way. Every caller that stops before the
    end — one frame for a thumbnail, the first frame for a rotation — then leaked about
    0.3 KB: measured with PyAV 18.1, 8,400 times opening a video, reading one packet and
    closing it took a process from 58.4 to 61.0 MB, and stayed at 57.9 MB with the reader
    closed (``tests/media/test_video_memory.py``). The soak's random video moments made
    that most of a server's remaining growth."""
    packets = container.demux(stream)
    try:
        for packet in packets:
            yield from packet.decode()
    finally:
        packets.close()


@contextmanager
def decoding(name: str, max_pixels: int) -> Iterator[None]:
    """Decoding errors as typed video errors: a frame over ``max_pixels`` (FFmpeg answers
    EINVAL when a frame's size is over the decoder's cap or invalid) is
    :class:`~imgsearch.errors.VideoLimitExceeded`, anything else damaged data."""
    import av

    try:
        yield
    except av.error.ArgumentError as exc:
        raise VideoLimitExceeded(
            f"a frame is larger than the cap of {max_pixels:,} pixels, or of no valid size ({exc})",
            source=name,
        ) from None
    except av.FFmpegError as exc:
        raise CorruptVideo(f"the video data is damaged: {exc}", source=name) from None


def check_frame(frame: Any, name: str, max_pixels: int) -> None:
    """Refuse a decoded frame over the cap (for a decoder that does not apply
    ``max_pixels`` itself)."""
    if frame.width * frame.height > max_pixels:
        raise VideoLimitExceeded(
            f"a {frame.width}x{frame.height} frame is over the cap of {max_pixels:,} pixels",
            source=name,
        )
