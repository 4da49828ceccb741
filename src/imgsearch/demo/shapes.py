"""Scenes of coloured shapes: sampling, drawing and describing them.

A scene is 1–3 non-overlapping objects (a shape, a colour, a size, a position
and a rotation) on a background (plain, gradient, noise or stripes in neutral
tones). Scenes are sampled from a ``random.Random`` and kept in fractions of
the image, so one scene can be drawn at its file size for a collection or at
a small size for training, and always looks the same. Everything is
deterministic given the generator's state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "star", "hexagon", "cross")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (214, 36, 36),
    "orange": (246, 136, 22),
    "yellow": (238, 212, 34),
    "green": (38, 158, 62),
    "blue": (36, 78, 212),
    "purple": (132, 52, 172),
}
# Neutral tones, so that an object's colour is never the background's.
TONES: dict[str, tuple[int, int, int]] = {
    "white": (244, 244, 238),
    "grey": (168, 168, 166),
    "beige": (222, 208, 178),
    "dark grey": (74, 74, 78),
    "black": (28, 28, 32),
}
BACKGROUNDS = ("plain", "gradient", "noise", "stripes")
# Object diameter as a fraction of the image's short side.
SIZES: dict[str, tuple[float, float]] = {
    "small": (0.20, 0.27),
    "medium": (0.27, 0.35),
    "large": (0.35, 0.46),
}
ASPECTS = ((1, 1), (4, 3), (3, 4), (3, 2), (2, 3))
JPEG_SHARE = 0.65


@dataclass(frozen=True)
class Thing:
    """One object: centre in fractions of width/height, diameter in fractions of the short side."""

    shape: str
    colour: str
    size: str
    cx: float
    cy: float
    diameter: float
    rotation: float
    tint: tuple[int, int, int]

    @property
    def name(self) -> str:
        """``"red circle"``: what a query for this object says."""
        return f"{self.colour} {self.shape}"


@dataclass(frozen=True)
class Background:
    kind: str
    tones: tuple[str, ...]
    angle: int = 0
    period: float = 0.0
    noise_seed: int = 0

    def describe(self) -> str:
        first = self.tones[0]
        if self.kind == "plain":
            return f"a plain {first} background"
        if self.kind == "noise":
            return f"a noisy {first} background"
        if self.kind == "gradient":
            return f"a {first} to {self.tones[1]} gradient background"
        return f"a {first} and {self.tones[1]} striped background"


@dataclass(frozen=True)
class Mark:
    """A piece of clutter in a neutral tone (never an object's colour): a line, a ring, a
    blob or a bar, in fractions of the image like a :class:`Thing`."""

    kind: str
    x0: float
    y0: float
    x1: float
    y1: float
    tone: str
    width: float = 0.004


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    background: Background
    things: tuple[Thing, ...]
    format: str
    quality: int
    clutter: tuple[Mark, ...] = ()

    @property
    def caption(self) -> str:
        """``"a small red circle and a large blue star on a plain white background"``."""
        return f"{describe_things(self.things, sizes=True)} on {self.background.describe()}"


def sample_scene(rng: random.Random) -> Scene:
    """A random scene; the same generator state always gives the same scene."""
    width, height = sample_size(rng, ASPECTS, (200, 360))
    background = sample_background(rng)
    things: list[Thing] = []
    for _ in range(rng.choice((1, 2, 2, 3, 3))):
        thing = place(rng, width, height, things)
        if thing is not None:
            things.append(thing)
    is_jpeg = rng.random() < JPEG_SHARE
    return Scene(
        width,
        height,
        background,
        tuple(things),
        "jpeg" if is_jpeg else "png",
        rng.randint(80, 95) if is_jpeg else 0,
    )


def sample_size(
    rng: random.Random, aspects: Sequence[tuple[int, int]], short: tuple[int, int]
) -> tuple[int, int]:
    """A picture size: one of ``aspects`` (across, down), the short side in ``short``."""
    across, down = rng.choice(aspects)
    side = rng.randint(*short)
    if across >= down:
        return round(side * across / down), side
    return side, round(side * down / across)


def sample_background(rng: random.Random) -> Background:
    kind = rng.choice(BACKGROUNDS)
    tones = rng.sample(sorted(TONES), 2)
    return Background(
        kind,
        tuple(tones) if kind in ("gradient", "stripes") else (tones[0],),
        angle=rng.choice((0, 45, 90, 135)),
        period=rng.uniform(0.05, 0.16),
        noise_seed=rng.getrandbits(32),
    )


def place(
    rng: random.Random,
    width: int,
    height: int,
    placed: Sequence[Thing],
    sizes: dict[str, tuple[float, float]] = SIZES,
    size: str | None = None,
) -> Thing | None:
    """A new object (of ``size``, or one drawn from ``sizes``) that overlaps none of
    ``placed``, or None after 60 tries."""
    short = min(width, height)
    size = size or rng.choice(tuple(sizes))
    shape, colour = rng.choice(SHAPES), rng.choice(tuple(COLOURS))
    diameter = rng.uniform(*sizes[size])
    radius = diameter * short / 2
    margin = 0.03 * short
    for _ in range(60):
        x = rng.uniform(radius + margin, width - radius - margin)
        y = rng.uniform(radius + margin, height - radius - margin)
        clear = all(
            math.dist((x, y), (t.cx * width, t.cy * height))
            >= radius + t.diameter * short / 2 + margin
            for t in placed
        )
        if clear:
            tint = tuple(min(255, max(0, c + rng.randint(-18, 18))) for c in COLOURS[colour])
            return Thing(
                shape,
                colour,
                size,
                x / width,
                y / height,
                diameter,
                rng.uniform(0, 360),
                (tint[0], tint[1], tint[2]),
            )
    return None


def describe_things(things: Sequence[Thing], *, sizes: bool) -> str:
    """``"a red circle, a blue star and a green square"`` (with sizes when asked)."""
    phrases = [f"{_article(t, sizes)} {t.size + ' ' if sizes else ''}{t.name}" for t in things]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _article(thing: Thing, sizes: bool) -> str:
    first = thing.size if sizes else thing.colour
    return "an" if first[0] in "aeiou" else "a"


def render(scene: Scene, width: int | None = None, height: int | None = None) -> Image.Image:
    """Draw ``scene`` at ``width``×``height`` (default: its own size), RGB."""
    width, height = width or scene.width, height or scene.height
    image = Image.fromarray(_background_pixels(scene.background, width, height), "RGB")
    draw = ImageDraw.Draw(image)
    for mark in scene.clutter:
        _draw_mark(draw, mark, width, height)
    for thing in scene.things:
        points = outline(thing, width, height)
        if thing.shape == "circle":
            (x0, y0), (x1, y1) = _extent(points)
            draw.ellipse((x0, y0, x1, y1), fill=thing.tint)
        else:
            draw.polygon(points, fill=thing.tint)
    return image


def _draw_mark(draw: ImageDraw.ImageDraw, mark: Mark, width: int, height: int) -> None:
    box = (mark.x0 * width, mark.y0 * height, mark.x1 * width, mark.y1 * height)
    colour = TONES[mark.tone]
    stroke = max(1, round(mark.width * min(width, height)))
    if mark.kind == "line":
        draw.line(box, fill=colour, width=stroke)
    elif mark.kind == "ring":
        draw.ellipse(_ordered(box), outline=colour, width=stroke)
    elif mark.kind == "blob":
        draw.ellipse(_ordered(box), fill=colour)
    else:
        draw.rectangle(_ordered(box), fill=colour)


def _ordered(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def outline(thing: Thing, width: int, height: int) -> list[tuple[float, float]]:
    """The object's corner points in pixels (for a circle: its bounding square's corners)."""
    short = min(width, height)
    cx, cy, r = thing.cx * width, thing.cy * height, thing.diameter * short / 2
    if thing.shape == "circle":
        return [(cx - r, cy - r), (cx + r, cy + r)]
    if thing.shape == "cross":
        arm = 0.32
        unit = [
            (arm, 1), (arm, arm), (1, arm), (1, -arm), (arm, -arm), (arm, -1),
            (-arm, -1), (-arm, -arm), (-1, -arm), (-1, arm), (-arm, arm), (-arm, 1),
        ]  # fmt: skip
        scale = r / math.hypot(1, arm)
        polar = [(math.hypot(x, y) * scale, math.atan2(y, x)) for x, y in unit]
    elif thing.shape == "star":
        polar = [((r if i % 2 == 0 else 0.44 * r), math.pi * i / 5) for i in range(10)]
    else:
        corners = {"square": 4, "triangle": 3, "hexagon": 6}[thing.shape]
        polar = [(r, 2 * math.pi * i / corners) for i in range(corners)]
    turn = math.radians(thing.rotation)
    return [(cx + d * math.cos(a + turn), cy + d * math.sin(a + turn)) for d, a in polar]


def bounding_box(thing: Thing, width: int, height: int) -> tuple[int, int, int, int]:
    """The object's tight box in pixels: ``(x, y, w, h)``, clipped to the image."""
    (x0, y0), (x1, y1) = _extent(outline(thing, width, height))
    left, top = max(0, math.floor(x0)), max(0, math.floor(y0))
    right, bottom = min(width, math.ceil(x1)), min(height, math.ceil(y1))
    return left, top, right - left, bottom - top


def _extent(points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys)), (max(xs), max(ys))


def _background_pixels(background: Background, width: int, height: int) -> NDArray[np.uint8]:
    first = np.asarray(TONES[background.tones[0]], dtype=np.float32)
    if background.kind == "plain":
        return np.broadcast_to(first.astype(np.uint8), (height, width, 3)).copy()
    if background.kind == "noise":
        noise = np.random.default_rng(background.noise_seed).normal(0, 24, (height, width, 1))
        return np.clip(first + noise, 0, 255).astype(np.uint8)
    second = np.asarray(TONES[background.tones[1]], dtype=np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    turn = math.radians(background.angle)
    along = xs * math.cos(turn) + ys * math.sin(turn)
    if background.kind == "gradient":
        span = max(float(along.max() - along.min()), 1.0)
        t = ((along - along.min()) / span)[..., None]
        blend: NDArray[np.uint8] = (first * (1 - t) + second * t).astype(np.uint8)
        return blend
    period = max(2.0, background.period * min(width, height))
    second_half = ((along // (period / 2)) % 2).astype(bool)[..., None]
    return np.where(second_half, second, first).astype(np.uint8)
