"""Cluttered scenes: many small objects among neutral clutter, for the object-level index.

The ``scenes`` mode of the generator (``imgsearch demo generate --mode scenes``). Where a
``shapes`` scene holds 1–3 objects filling a fifth to a half of the picture, a cluttered
scene holds 3–8 objects, most of them small — a ``tiny`` one spans 4.5–7% of the short
side, about 25 pixels of a 500-pixel photo and 4 pixels of a model's 80-pixel input —
on a background crossed by 12–40 marks (lines, rings, blobs, bars) in the same neutral
tones as the backgrounds, so that no mark can be mistaken for a labelled object. This is
what "find the bus far down the street" looks like in miniature: the whole-image vector
barely sees a tiny object, a box around it does.
"""

from __future__ import annotations

import math
import random

from imgsearch.demo.shapes import (
    TONES,
    Mark,
    Scene,
    Thing,
    place,
    sample_background,
    sample_size,
)

# Object diameter as a fraction of the image's short side, and how often each size is drawn.
CLUTTER_SIZES: dict[str, tuple[float, float]] = {
    "tiny": (0.045, 0.07),
    "small": (0.07, 0.11),
    "medium": (0.11, 0.17),
}
SIZE_WEIGHTS = {"tiny": 0.35, "small": 0.4, "medium": 0.25}
OBJECTS = (3, 8)
MARKS = (12, 40)
SHORT_SIDE = (480, 640)
ASPECTS = ((4, 3), (3, 2), (16, 9), (1, 1), (3, 4))
MARK_KINDS = ("line", "line", "ring", "blob", "bar")


def sample_cluttered_scene(rng: random.Random) -> Scene:
    """A random cluttered scene; the same generator state always gives the same scene."""
    width, height = sample_size(rng, ASPECTS, SHORT_SIDE)
    background = sample_background(rng)
    clutter = tuple(_mark(rng, background.tones) for _ in range(rng.randint(*MARKS)))
    things: list[Thing] = []
    sizes, weights = tuple(SIZE_WEIGHTS), tuple(SIZE_WEIGHTS.values())
    for _ in range(rng.randint(*OBJECTS)):
        size = rng.choices(sizes, weights)[0]
        thing = place(rng, width, height, things, CLUTTER_SIZES, size)
        if thing is not None:
            things.append(thing)
    is_jpeg = rng.random() < 0.75
    return Scene(
        width,
        height,
        background,
        tuple(things),
        "jpeg" if is_jpeg else "png",
        rng.randint(82, 95) if is_jpeg else 0,
        clutter,
    )


def _mark(rng: random.Random, avoid: tuple[str, ...]) -> Mark:
    """One piece of clutter, in a tone other than the background's first (so it shows)."""
    kind = rng.choice(MARK_KINDS)
    tone = rng.choice([t for t in TONES if t != avoid[0]])
    x, y = rng.random(), rng.random()
    if kind == "line":
        length, angle = rng.uniform(0.05, 0.4), rng.uniform(0, 2 * math.pi)
        end = (x + length * math.cos(angle), y + length * math.sin(angle))
        return Mark(kind, x, y, *end, tone, rng.uniform(0.002, 0.008))
    extent = rng.uniform(0.02, 0.12)
    aspect = rng.uniform(0.3, 1.0) if kind != "bar" else rng.uniform(0.08, 0.25)
    w, h = (extent, extent * aspect) if rng.random() < 0.5 else (extent * aspect, extent)
    return Mark(kind, x, y, x + w, y + h, tone, rng.uniform(0.002, 0.006))
