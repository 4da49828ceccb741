"""From a decoded picture in any Pillow mode to the upright RGB image everything else wants.

Written for bounded memory: a 9000×9000 16-bit greyscale PNG is 162 MB decoded,
and converting it through float64 NumPy copies once cost 1.85 GB. Here every
conversion allocates at most the RGB result plus one buffer of the source's
size, and high-bit-depth pixels are scaled strip by strip.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
HIGH_DEPTH_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}
_STRIP_BYTES = 4 << 20  # high-depth pixels are scaled this many bytes (as float32) at a time


def orientation(exif: Image.Exif) -> int:
    """The EXIF orientation (1–8); 1 (as stored) when absent or nonsense."""
    value = exif.get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and value in range(1, 9) else 1


def upright_size(size: tuple[int, int], turn: int) -> tuple[int, int]:
    """Width and height as displayed: swapped for orientations 5–8."""
    return (size[1], size[0]) if turn in (5, 6, 7, 8) else size


def stored_bytes_per_pixel(mode: str) -> int:
    """What Pillow allocates per pixel of a decoded image in ``mode`` (RGB is stored in 4)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def to_upright(image: Image.Image, turn: int) -> Image.Image:
    """``image`` turned as its EXIF orientation says (``turn`` from :func:`orientation`)."""
    method = _TRANSPOSE.get(turn)
    return image if method is None else image.transpose(method)


def to_rgb(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGB pixels: transparency composited on ``background``, high bit depths scaled to 8 bits."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in HIGH_DEPTH_MODES:
        return _grey8(image).convert("RGB")
    if mode in _TRANSPARENT_MODES or (mode == "P" and "transparency" in image.info):
        if mode != "RGBA":
            image = image.convert("RGBA")
        canvas = Image.new("RGB", image.size, background)
        canvas.paste(image, mask=image)  # the alpha band: the same pixels as alpha_composite
        return canvas
    return image.convert("RGB")


def _grey8(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale as 8-bit "L": scaled to 0..255, not clipped.

    16-bit values are divided by 257 when any exceeds 255 (otherwise the file
    holds 8-bit values in a 16-bit container); float images are stretched from
    their minimum to their maximum unless they already lie in 0..1.
    """
    width, height = image.size
    rows = max(1, _STRIP_BYTES // (4 * max(width, 1)))
    strips = [(top, min(height, top + rows)) for top in range(0, height, rows)]
    low, high = math.inf, -math.inf
    for top, bottom in strips:
        values = np.asarray(image.crop((0, top, width, bottom)))
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    scale, shift = 1.0, 0.0
    if image.mode == "F":
        if high > 1.0 or low < 0.0:
            scale = 255.0 / ((high - low) or 1.0)
            shift = -low * scale
        else:
            scale = 255.0
    elif high > 255:
        scale = 1 / 257
    out = np.empty((height, width), dtype=np.uint8)
    for top, bottom in strips:
        values = np.asarray(image.crop((0, top, width, bottom)), dtype=np.float32)
        scaled = values * np.float32(scale) + np.float32(shift)
        out[top:bottom] = np.clip(np.rint(scaled), 0, 255)
    return Image.fromarray(out)
