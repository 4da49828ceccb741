"""Generated videos with known moments: shapes of the demo world appearing and leaving at
known times, encoded with PyAV (the ``video`` extra) in several codecs and containers.

A :class:`VideoSpec` is a background, a size, a frame rate and :class:`Appearance` s — a
shape that is on screen from ``start`` to ``end`` seconds, drifting across the picture
meanwhile — so the ground truth of "when is the red star visible" is exact. Frames are
drawn by :func:`imgsearch.demo.shapes.render`, as the still collection's are.
``variable_rate`` spaces frames irregularly (a variable-frame-rate file, as phones
write); ``rotation`` stores the frames turned and asks players (and imgsearch) to turn
them back through the container's display matrix.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import cast

import numpy as np

from imgsearch.demo.shapes import Background, Scene, Thing, render

CODECS = {".mp4": "libx264", ".mov": "libx264", ".mkv": "libx264", ".webm": "libvpx-vp9",
          ".avi": "mpeg4", ".m4v": "libx264"}  # fmt: skip


@dataclass(frozen=True)
class Appearance:
    """``colour shape`` on screen from ``start`` to ``end`` s, its centre drifting from
    ``begin`` to ``finish`` (fractions of width and height)."""

    shape: str
    colour: str
    start: float
    end: float
    begin: tuple[float, float] = (0.3, 0.5)
    finish: tuple[float, float] = (0.7, 0.5)
    diameter: float = 0.3

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"

    def at(self, time: float) -> Thing | None:
        """The shape at ``time``, or None when it is not on screen."""
        if not self.start <= time < self.end:
            return None
        share = (time - self.start) / max(self.end - self.start, 1e-9)
        x = self.begin[0] + share * (self.finish[0] - self.begin[0])
        y = self.begin[1] + share * (self.finish[1] - self.begin[1])
        return Thing(
            self.shape, self.colour, "medium", x, y, self.diameter, 0.0, _tint(self.colour)
        )


def _tint(colour: str) -> tuple[int, int, int]:
    from imgsearch.demo.shapes import COLOURS

    return COLOURS[colour]


@dataclass(frozen=True)
class VideoSpec:
    duration: float
    appearances: tuple[Appearance, ...] = ()
    width: int = 320
    height: int = 240
    fps: int = 10
    background: Background = field(default_factory=lambda: Background("plain", ("grey",)))
    variable_rate: bool = False
    rotation: int = 0  # degrees counter-clockwise players turn the stored frames
    seed: int = 0
    gop: int | None = None  # frames between keyframes at most (None: the encoder's default)

    def frame_times(self) -> list[float]:
        """When each frame is shown: every 1/fps s, or irregularly for a variable rate."""
        if not self.variable_rate:
            return [n / self.fps for n in range(max(1, round(self.duration * self.fps)))]
        rng = random.Random(f"vfr/{self.seed}")
        times, now = [], 0.0
        while now < self.duration:
            times.append(round(now, 3))
            now += rng.choice((0.5, 1.0, 1.0, 2.0)) / self.fps
        return times

    def visible(self, name: str) -> list[tuple[float, float]]:
        """The intervals in which a ``colour shape`` called ``name`` is on screen."""
        return [(a.start, min(a.end, self.duration)) for a in self.appearances if a.name == name]

    def picture(self, time: float) -> np.ndarray:
        """The frame at ``time`` as players show it (upright RGB)."""
        things = tuple(t for a in self.appearances if (t := a.at(time)) is not None)
        scene = Scene(self.width, self.height, self.background, things, "png", 0)
        return np.asarray(render(scene))


def write_video(path: str | os.PathLike[str], spec: VideoSpec, *, codec: str | None = None) -> None:
    """Encode ``spec`` to ``path`` (the container from its extension, the codec from
    :data:`CODECS` unless given)."""
    import av
    from av.video.stream import VideoStream

    name = os.fspath(path)
    with av.open(name, "w") as container:
        stream = cast(
            VideoStream, container.add_stream(codec or CODECS[Path(name).suffix.lower()], spec.fps)
        )
        turned = spec.rotation in (90, 270)
        stream.width, stream.height = (
            (spec.height, spec.width) if turned else (spec.width, spec.height)
        )
        stream.pix_fmt = "yuv420p"
        if spec.gop is not None:
            stream.codec_context.gop_size = spec.gop
        if spec.variable_rate:  # timestamps in milliseconds, spaced as frame_times() says
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
        if spec.rotation:
            stream.set_display_rotation(spec.rotation)
        for number, time in enumerate(spec.frame_times()):
            picture = spec.picture(time)
            if spec.rotation:  # stored turned back: players turn it by `rotation` to show it
                picture = np.ascontiguousarray(np.rot90(picture, k=-spec.rotation // 90))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            if spec.variable_rate:
                frame.pts, frame.time_base = round(time * 1000), Fraction(1, 1000)
            else:
                frame.pts = number
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
