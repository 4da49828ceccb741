"""Reading videos: their facts, and the frames worth embedding (issue 16's foundation).

Needs the ``video`` extra (PyAV, ``av`` on PyPI, which bundles FFmpeg's libraries).

**Frame selection** — find the moments without embedding every frame. The video is
decoded once, front to back, with FFmpeg's own threads. When the container's index shows
keyframes at least every ``2 / rate`` seconds (phones and cameras write one every 0.5–2
s), only keyframes are decoded (``skip_frame = NONKEY``: a tiny share of the work, since
every other frame depends on them); otherwise frames no other frame refers to are
skipped (``NONREF``: most B-frames of H.264/HEVC, nothing of intra-only codecs). Every decoded frame is shrunk to a 32×32 thumbnail, and a frame is **kept**
when it is

- the first decoded frame (every readable video keeps at least one);
- a **sample**: the first frame at or after the next sampling time (every
  ``1 / rate`` s, 1 frame per second by default);
- a **keyframe** (``keyframes=True``): encoders place them at cuts and at regular
  intervals;
- a **scene cut**: at least ``scene_cut`` (default half) of its thumbnail changed since
  the previous decoded frame;

unless it is a **near duplicate**: less than ``duplicate_below`` (default 0.4 %, four
of the 1,024 thumbnail pixels) changed since the last *kept* frame — a static shot then
costs one embedding, however long, while a small object entering still counts. A
thumbnail pixel (32×32 RGB, FFmpeg's scaler averaging the area it covers) has changed when a channel moved by more
than 0.12 (of 0–1): coding noise stays under that. The indexer then drops, after
embedding, a kept frame whose vector has a cosine of at least ``same_above`` (0.985) with
the last frame it stored — the cheap difference first, the model's view second. Kept frames are converted to upright RGB (the container's rotation
applied) no larger than ``max_side`` (448 px) on their long side: the model's input is
smaller still. At most ``max_frames`` (3,600) frames are kept per video; later moments
of a longer video are then dropped, and :class:`Selection` says so.

**Bad videos** raise a typed :class:`~imgsearch.errors.VideoError` naming the file:
not a video FFmpeg can open (:class:`~imgsearch.errors.UnsupportedVideo`), damaged data
or a video container FFmpeg cannot open, or frames that end well before the duration the
header declares — a truncated file (:class:`~imgsearch.errors.CorruptVideo`), an empty
file or no frames at all (:class:`~imgsearch.errors.EmptyVideo`), or a frame size or duration over the caps of
:class:`VideoLimits` — checked from the header before any frame is decoded, and the
frame size again by the decoder on every frame, whatever the header said
(:class:`~imgsearch.errors.VideoLimitExceeded`). Containers are opened by
:mod:`imgsearch.media.containers`: no network protocol, no playlist, only real video
containers.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import (
    CorruptVideo,
    EmptyVideo,
    ImageNotFound,
    UnsupportedVideo,
    VideoLimitExceeded,
)
from imgsearch.media.containers import check_frame, decoded_frames, decoding, open_video
from imgsearch.media.sniff import format_name

THUMB = 32
PIXEL_CHANGE = 0.12
TRUNCATED_SHARE = 0.9
"""Frames ending before this share of the declared duration (less 2 s) mean a cut file."""


@dataclass(frozen=True)
class VideoLimits:
    """Caps that make a file a bad video rather than a long wait (each documented in
    docs/security.md)."""

    max_frame_pixels: int = 8192 * 4320  # 8K
    max_duration: float = 12 * 3600.0
    max_frames: int = 3600


@dataclass(frozen=True)
class FramePolicy:
    """Which frames are kept (see the module docstring)."""

    rate: float = 1.0
    keyframes: bool = True
    scene_cut: float = 0.5
    duplicate_below: float = 0.004
    max_side: int = 448
    same_above: float = 0.985
    """After embedding: a kept frame whose vector has at least this cosine with the last
    stored frame's is not stored (the model sees the same moment); 1 keeps every one."""

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"frame rate {self.rate} is not a positive number")
        if not 0 <= self.duplicate_below < self.scene_cut <= 1:
            raise ValueError("need 0 <= duplicate_below < scene_cut <= 1")
        if self.max_side < THUMB:
            raise ValueError(f"max_side must be at least {THUMB}")
        if not -1 <= self.same_above <= 1:
            raise ValueError("same_above is a cosine: between -1 and 1")


@dataclass(frozen=True)
class VideoInfo:
    """A video's facts; ``width``/``height`` as displayed (rotation applied)."""

    duration: float
    fps: float | None
    frames: int | None
    codec: str
    container: str
    width: int
    height: int
    rotation: int
    created: float | None
    format: str = ""
    """The container as people name it: MP4, MOV, MKV, WEBM, AVI (else FFmpeg's name)."""


@dataclass(frozen=True)
class KeptFrame:
    """One kept frame: ``time`` (s from the start), ``number`` (its place in the stream:
    the time times the average frame rate, rounded — exact for constant-rate video; the
    frames skipped while decoding count too) and why it was kept."""

    time: float
    number: int
    reason: str  # first | sample | keyframe | cut
    image: Image.Image = field(repr=False)


@dataclass
class Selection:
    """What :func:`select_frames` did, filled in as it goes."""

    decoded: int = 0
    kept: int = 0
    duplicates: int = 0
    capped: bool = False
    keyframes_only: bool = False


def probe(path: str | os.PathLike[str], limits: VideoLimits = VideoLimits()) -> VideoInfo:
    """The facts of the video at ``path`` (from its header, and its first frame for the
    rotation); raises a VideoError."""
    name = os.fspath(path)
    with _open(path, limits) as (container, head):
        info = _info(container, name, limits, head)
        with (
            decoding(name, limits.max_frame_pixels),
            closing(decoded_frames(container, container.streams.video[0])) as frames,
        ):
            first = next(frames, None)
        if first is None:
            raise EmptyVideo("holds no frame that can be decoded", source=name)
        rotation = _rotation(first)
        if rotation in (90, 270):
            return replace(info, rotation=rotation, width=info.height, height=info.width)
        return replace(info, rotation=rotation)


def select_frames(
    path: str | os.PathLike[str],
    policy: FramePolicy = FramePolicy(),
    limits: VideoLimits = VideoLimits(),
    selection: Selection | None = None,
) -> Iterator[KeptFrame]:
    """The frames of the video at ``path`` worth embedding, in order (see the module
    docstring); raises a VideoError for a bad video, also midway (then the caller
    discards what it got: a video is indexed whole or not at all)."""
    name = os.fspath(path)
    done = selection if selection is not None else Selection()
    with _open(path, limits) as (container, head):
        info = _info(container, name, limits, head)  # the caps, before any frame is decoded
        stream = container.streams.video[0]
        last_time = 0.0
        stream.thread_type = "AUTO"
        gap = keyframe_gap(stream)
        dense = gap is not None and gap <= 2 / policy.rate
        stream.codec_context.skip_frame = "NONKEY" if dense else "NONREF"
        done.keyframes_only = dense
        next_sample = 0.0
        previous: NDArray[np.float32] | None = None
        last_kept: NDArray[np.float32] | None = None
        with (
            decoding(name, limits.max_frame_pixels),
            closing(decoded_frames(container, stream)) as frames,
        ):
            for frame in frames:
                check_frame(frame, name, limits.max_frame_pixels)  # the header may lie
                done.decoded += 1
                time = last_time = _seconds(frame, stream)
                thumb = _thumbnail(frame)
                reason = _reason(frame, time, thumb, previous, next_sample, policy)
                previous = thumb
                if time >= next_sample:
                    next_sample = (math.floor(time * policy.rate) + 1) / policy.rate
                if reason is None:
                    continue
                if last_kept is not None and _difference(thumb, last_kept) < policy.duplicate_below:
                    done.duplicates += 1
                    continue
                if done.kept >= limits.max_frames:
                    done.capped = True
                    return
                last_kept = thumb
                done.kept += 1
                number = round(time * info.fps) if info.fps else done.decoded - 1
                yield KeptFrame(time, number, reason, _upright(frame, policy))
        if done.decoded == 0:
            raise EmptyVideo("holds no frame that can be decoded", source=name)
        if info.duration > 2 and last_time < TRUNCATED_SHARE * info.duration - 2:
            raise CorruptVideo(
                f"truncated: its frames end at {last_time:.1f} s of the {info.duration:.1f} s "
                "its header declares",
                source=name,
            )


def keyframe_gap(stream: Any) -> float | None:
    """The longest time between keyframes by the container's index (seconds), or None
    when the index does not say (e.g. Matroska without cues, or a single entry). An index
    that lists only some keyframes overstates the gap: never the wrong way."""
    try:
        entries = stream.index_entries
        times = [e.timestamp for e in entries if e.is_keyframe and not e.is_discard]
    except (AttributeError, TypeError):
        return None
    if len(times) < 2 or stream.time_base is None:
        return None
    ends = [*times, stream.duration] if stream.duration else times
    gaps = [b - a for a, b in itertools.pairwise(ends) if b > a]
    return float(max(gaps) * stream.time_base) if gaps else None


def _reason(
    frame: Any,
    time: float,
    thumb: NDArray[np.float32],
    previous: NDArray[np.float32] | None,
    next_sample: float,
    policy: FramePolicy,
) -> str | None:
    if previous is None:
        return "first"
    if time >= next_sample:
        return "sample"
    if policy.keyframes and frame.key_frame:
        return "keyframe"
    if _difference(thumb, previous) >= policy.scene_cut:
        return "cut"
    return None


def _difference(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """The share of the picture that changed: thumbnail pixels whose colour moved by more
    than :data:`PIXEL_CHANGE` in some channel (coding noise stays under it)."""
    return float((np.abs(a - b).max(axis=-1) > PIXEL_CHANGE).mean())


def _thumbnail(frame: Any) -> NDArray[np.float32]:
    # AREA averages every source pixel into its thumbnail pixel (a small object still
    # moves the average), and costs half of swscale's default bilinear at 1080p
    small = frame.reformat(
        width=THUMB, height=THUMB, format="rgb24", interpolation="AREA"
    ).to_ndarray()
    return np.asarray(small, dtype=np.float32)[:THUMB, :THUMB] / 255.0


def _upright(frame: Any, policy: FramePolicy) -> Image.Image:
    scale = min(1.0, policy.max_side / max(frame.width, frame.height))
    width, height = max(1, round(frame.width * scale)), max(1, round(frame.height * scale))
    image: Image.Image = frame.to_image(width=width, height=height)
    turn = {
        90: Image.Transpose.ROTATE_90,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_270,
    }.get(_rotation(frame))
    return image.transpose(turn) if turn is not None else image


def _seconds(frame: Any, stream: Any) -> float:
    if frame.time is not None:
        return max(0.0, float(frame.time))
    rate = stream.average_rate or stream.guessed_rate
    return float(frame.index / rate) if rate else 0.0


@contextmanager
def _open(path: str | os.PathLike[str], limits: VideoLimits) -> Iterator[tuple[Any, bytes]]:
    """The container at ``path`` (:func:`~imgsearch.media.containers.open_video`: no
    network, no playlists, frames capped) and the file's first bytes; failures are typed
    VideoErrors; closed on leaving."""
    name = os.fspath(path)
    try:
        with Path(name).open("rb") as handle:
            head = handle.read(64)
    except FileNotFoundError:
        raise ImageNotFound("no such file", source=name) from None
    except OSError as exc:
        raise UnsupportedVideo(f"cannot read it: {exc.strerror}", source=name) from None
    if not head:
        raise EmptyVideo("the file is empty", source=name)
    with open_video(name, name, limits.max_frame_pixels, head) as container:
        yield container, head


def _info(container: Any, name: str, limits: VideoLimits, head: bytes) -> VideoInfo:
    """The header's facts, checked against ``limits``; the rotation is read from the first
    decoded frame (FFmpeg attaches the display matrix to frames)."""
    stream = container.streams.video[0]
    context = stream.codec_context
    width = int(context.width or stream.width or 0)
    height = int(context.height or stream.height or 0)
    if width <= 0 or height <= 0:
        raise CorruptVideo(
            "the video stream has no frame size that can be read (or its frames are over "
            f"the cap of {limits.max_frame_pixels:,} pixels)",
            source=name,
        )
    if width * height > limits.max_frame_pixels:
        raise VideoLimitExceeded(
            f"{width}x{height} frames are over the cap of {limits.max_frame_pixels:,} pixels",
            source=name,
        )
    duration = _duration(container, stream)
    if duration > limits.max_duration:
        raise VideoLimitExceeded(
            f"{duration:.0f} s long, over the cap of {limits.max_duration:.0f} s", source=name
        )
    rate = stream.average_rate or stream.guessed_rate
    created = container.metadata.get("creation_time") or stream.metadata.get("creation_time")
    return VideoInfo(
        duration=duration,
        fps=float(rate) if rate else None,
        frames=int(stream.frames) or None,
        codec=context.name,
        container=container.format.name,
        width=width,
        height=height,
        rotation=0,
        created=_created(created),
        format=format_name(container.format.name, head),
    )


def _duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return max(0.0, float(stream.duration * stream.time_base))
    if container.duration is not None:
        return max(0.0, float(container.duration) / 1_000_000)
    return 0.0


def _rotation(frame: Any) -> int:
    """Degrees counter-clockwise a frame is turned to display, to the nearest quarter."""
    degrees = getattr(frame, "rotation", 0) or 0
    return (round(degrees / 90.0) * 90) % 360


def _created(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
