"""Edited copies of known originals: the ground truth for near-duplicate detection.

Each variant is one edit people make to a photo before it lands in a collection twice:
a smaller copy, a harsher JPEG, a slight crop, a colour fix, a quarter turn, a slightly
straightened horizon. ``bench/duplicates.py`` fits and measures the pair confidence on
them; the tests check it on a seed the weights were not fitted on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance

EDITS = ("half-size", "jpeg-50", "crop-6", "colour", "rotate-90", "rotate-4")


def edit(image: Image.Image, kind: str, rng: random.Random) -> Image.Image:
    """``image`` after one edit of ``EDITS``."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    if kind == "half-size":
        return rgb.resize((max(1, width // 2), max(1, height // 2)), Image.Resampling.LANCZOS)
    if kind == "jpeg-50":
        return rgb  # the quality is chosen when it is saved
    if kind == "crop-6":
        dx, dy = round(width * 0.06), round(height * 0.06)
        left, top = rng.randint(0, dx), rng.randint(0, dy)
        return rgb.crop((left, top, width - (dx - left), height - (dy - top)))
    if kind == "colour":
        brighter = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.8, 1.2))
        return ImageEnhance.Contrast(brighter).enhance(rng.uniform(0.8, 1.2))
    if kind == "rotate-90":
        return rgb.transpose(rng.choice([Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270]))
    if kind == "rotate-4":
        angle = rng.choice([-4.0, 4.0])
        return rgb.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=rgb.getpixel((0, 0)))
    raise ValueError(f"unknown edit {kind!r}; one of {', '.join(EDITS)}")


@dataclass(frozen=True)
class Family:
    """An original and its edited copies (paths as written)."""

    original: Path
    copies: tuple[Path, ...]


def write_variants(
    originals: Sequence[Path], out: Path, *, seed: int = 0, edits: Sequence[str] = EDITS
) -> list[Family]:
    """One copy of each original per edit, as ``out/<stem>-<edit>.jpg`` (quality 50 for
    ``jpeg-50``, 90 otherwise); files already there are kept."""
    out.mkdir(parents=True, exist_ok=True)
    families = []
    for original in originals:
        copies = []
        for kind in edits:
            path = out / f"{original.stem}-{kind}.jpg"
            if not path.exists():
                rng = random.Random(f"{seed}/{original.name}/{kind}")
                with Image.open(original) as image:
                    edited = edit(image, kind, rng)
                temporary = path.with_name(f".{path.name}.tmp")
                edited.save(temporary, "JPEG", quality=50 if kind == "jpeg-50" else 90)
                temporary.replace(path)
            copies.append(path)
        families.append(Family(original, tuple(copies)))
    return families
