"""Decode any supported image into an upright RGB picture, safely and cheaply.

Why this module exists: photo collections hold every format and mode
(progressive and CMYK JPEGs, 16-bit and palette PNGs, HEIC from phones,
animated GIF/WEBP), EXIF orientation flags, transparent logos, and the odd
decompression bomb. Everything downstream wants one thing: an RGB image the
way a person sees it. Large JPEGs are decoded at a reduced scale (libjpeg's DCT
scaling, Pillow's ``draft``) when the model only needs a few hundred pixels,
which makes a 12 MP photo several times cheaper to read.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias, cast

import numpy as np
import pillow_heif
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from imgsearch.errors import (
    CorruptImage,
    ImageNotFound,
    ImageUnreadable,
    InputError,
    PixelLimitExceeded,
    UnsupportedImage,
)
from imgsearch.types import Box

pillow_heif.register_heif_opener()

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | Image.Image | NDArray[np.uint8]"
"""Anything imgsearch accepts as an image: a path, encoded bytes, a binary
file object, a PIL image, or a uint8 array (H×W, H×W×3 RGB or H×W×4 RGBA)."""

DEFAULT_MAX_PIXELS = 89_478_485
"""Pillow's own decompression-bomb threshold (``Image.MAX_IMAGE_PIXELS``): ~89.5 MP."""

_TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


@dataclass(frozen=True)
class DecodeOptions:
    """How images are decoded.

    ``max_pixels`` refuses images larger than that many pixels before any pixel
    is decoded (a decompression-bomb guard; ``None`` disables it). ``background``
    is the colour transparent pixels are composited onto (white, the background
    transparent product shots and logos are designed for). ``draft_factor`` is
    how many times larger than the model's input a JPEG is still decoded: 0
    turns reduced-scale decoding off, 2 (the default) keeps the resampling
    filter's input at least twice the output size, which moves preprocessed
    pixels by about 1% of their range (see BENCHMARKS.md).
    """

    max_pixels: int | None = DEFAULT_MAX_PIXELS
    background: tuple[int, int, int] = (255, 255, 255)
    draft_factor: float = 2.0


def describe_source(source: ImageSource) -> str:
    """A short human name for an image source, used in error messages."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if isinstance(source, bytes | bytearray | memoryview):
        return f"<{len(source)} bytes>"
    if isinstance(source, Image.Image):
        return f"<PIL image {source.width}x{source.height} {source.mode}>"
    if isinstance(source, np.ndarray):
        return f"<array {'x'.join(map(str, source.shape))} {source.dtype}>"
    name = getattr(source, "name", None)
    return str(name) if isinstance(name, str) else "<file object>"


def load_rgb(
    source: ImageSource,
    *,
    box: Box | None = None,
    min_short_edge: int | None = None,
    options: DecodeOptions = DecodeOptions(),
) -> Image.Image:
    """Decode ``source`` into an upright RGB image, cropped to ``box`` if given.

    ``min_short_edge`` is the smallest short side (in pixels of the final crop)
    the caller needs; when the image is much larger, JPEGs are decoded at a
    reduced scale that still keeps ``options.draft_factor`` times that size.
    Box coordinates refer to the full-resolution, upright image.
    Raises an :class:`~imgsearch.errors.ImageError` subclass naming the source.
    """
    name = describe_source(source)
    if isinstance(source, Image.Image):
        return _finish(source, name, box, options)
    if isinstance(source, np.ndarray):
        return _finish(_array_to_image(source, name), name, box, options)
    with _open_stream(source, name) as stream:
        image = _open_lazily(stream, name, options)
        return _decode(image, name, box, min_short_edge, options)


def open_image(data: bytes, name: str, options: DecodeOptions = DecodeOptions()) -> Image.Image:
    """Open encoded bytes lazily (header only), enforcing the pixel cap.

    For callers that need the header (metadata) before deciding to decode;
    hand the result to :func:`decode_opened`.
    """
    return _open_lazily(io.BytesIO(data), name, options)


def decode_opened(
    image: Image.Image,
    name: str,
    *,
    min_short_edge: int | None = None,
    options: DecodeOptions = DecodeOptions(),
) -> Image.Image:
    """Finish what :func:`open_image` started: an upright RGB image, as :func:`load_rgb` gives."""
    return _decode(image, name, None, min_short_edge, options)


def _open_stream(source: ImageSource, name: str) -> BinaryIO:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise ImageNotFound("no such file", source=name) from None
        except IsADirectoryError:
            raise ImageUnreadable("is a directory, not an image file", source=name) from None
        except PermissionError:
            raise ImageUnreadable(
                "permission denied", source=name, hint="check the file's read permissions"
            ) from None
        except OSError as exc:
            raise ImageUnreadable(f"cannot be read ({exc.strerror})", source=name) from None
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    if hasattr(source, "read"):
        return cast(BinaryIO, _BorrowedStream(cast(BinaryIO, source)))
    raise InputError(
        f"cannot use a {type(source).__name__} as an image",
        hint="pass a path, bytes, a binary file object, a PIL image or a uint8 array",
    )


class _BorrowedStream(io.BufferedIOBase):
    """Wraps a caller's file object so that our ``with`` block does not close it."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def read(self, size: int | None = -1) -> bytes:
        return self._inner.read(-1 if size is None else size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(getattr(self._inner, "seekable", lambda: False)())

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:  # leave the caller's object open
        super().close()


def _open_lazily(stream: BinaryIO, name: str, options: DecodeOptions) -> Image.Image:
    """Read only the header, and enforce the pixel cap before anything is decoded."""
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    try:
        image = Image.open(stream)
    except UnidentifiedImageError:
        raise UnsupportedImage(
            "not a recognised image format (or the header is damaged)",
            source=name,
            hint="supported: JPEG, PNG, GIF, BMP, TIFF, ICO, WEBP, MPO, HEIC/HEIF, AVIF",
        ) from None
    except Image.DecompressionBombError as exc:
        raise PixelLimitExceeded(str(exc), source=name) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage(f"damaged image header ({exc})", source=name) from None
    _check_pixel_cap(image.width, image.height, name, options)
    return image


def _check_pixel_cap(width: int, height: int, name: str, options: DecodeOptions) -> None:
    if options.max_pixels is not None and width * height > options.max_pixels:
        raise PixelLimitExceeded(
            f"{width}x{height} = {width * height / 1e6:.1f} MP exceeds the "
            f"{options.max_pixels / 1e6:.1f} MP limit",
            source=name,
            hint="raise the pixel cap (max_pixels / --max-pixels) if you trust this file",
        )


def _decode(
    image: Image.Image,
    name: str,
    box: Box | None,
    min_short_edge: int | None,
    options: DecodeOptions,
) -> Image.Image:
    try:
        # Reading EXIF may itself decode (PNG keeps it after the pixel data).
        full_size = _upright_size(image)
        crop = box.to_pixels(*full_size) if box is not None else None
        if min_short_edge and options.draft_factor > 0 and image.format in ("JPEG", "MPO"):
            _request_draft(image, full_size, crop, min_short_edge * options.draft_factor)
        image.load()
    except Image.DecompressionBombError as exc:
        raise PixelLimitExceeded(str(exc), source=name) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise CorruptImage(f"truncated or damaged image data ({exc})", source=name) from None
    if crop is not None:
        decoded_width, decoded_height = _upright_size(image)
        crop = _scale_crop(crop, decoded_width / full_size[0], decoded_height / full_size[1])
    return _finish(image, name, None, options, crop=crop)


def _upright_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as displayed, i.e. swapped for EXIF orientations 5–8."""
    orientation = image.getexif().get(0x0112, 1)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else image.size


def _request_draft(
    image: Image.Image,
    full_size: tuple[int, int],
    crop: tuple[int, int, int, int] | None,
    needed_short_edge: float,
) -> None:
    region_short = min(crop[2] - crop[0], crop[3] - crop[1]) if crop else min(full_size)
    ratio = needed_short_edge / region_short
    if ratio >= 0.5:  # libjpeg scales by 1/2, 1/4 or 1/8 at best
        return
    image.draft(image.mode, (math.ceil(image.width * ratio), math.ceil(image.height * ratio)))


def _scale_crop(
    crop: tuple[int, int, int, int], scale_x: float, scale_y: float
) -> tuple[int, int, int, int]:
    if scale_x == 1 and scale_y == 1:
        return crop
    left, top = math.floor(crop[0] * scale_x), math.floor(crop[1] * scale_y)
    right = max(left + 1, math.ceil(crop[2] * scale_x))
    bottom = max(top + 1, math.ceil(crop[3] * scale_y))
    return left, top, right, bottom


def _finish(
    image: Image.Image,
    name: str,
    box: Box | None,
    options: DecodeOptions,
    *,
    crop: tuple[int, int, int, int] | None = None,
) -> Image.Image:
    """Orient, flatten to RGB and crop an already-decodable image."""
    try:
        if image.getexif().get(0x0112, 1) != 1:
            image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptImage(f"damaged image data ({exc})", source=name) from None
    if box is not None:
        crop = box.to_pixels(image.width, image.height)
    rgb = _to_rgb(image, options.background)
    return rgb.crop(crop) if crop is not None else rgb


def _to_rgb(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _high_depth_to_rgb(image)
    if mode in _TRANSPARENT_MODES or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale: scale to 8 bits instead of clipping to white."""
    values = np.asarray(image, dtype=np.float64)
    top = float(values.max()) if values.size else 0.0
    if image.mode == "F":
        low = float(values.min()) if values.size else 0.0
        span = (top - low) or 1.0
        values = (values - low) / span * 255.0 if top > 1.0 or low < 0.0 else values * 255.0
    elif top > 255:
        values = values / 257.0
    grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def _array_to_image(array: NDArray[np.uint8], name: str) -> Image.Image:
    if array.dtype != np.uint8:
        raise InputError(
            f"{name}: image arrays must be uint8, not {array.dtype}",
            hint="scale to 0..255 and convert with array.astype(np.uint8)",
        )
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4)):
        if min(array.shape[:2]) == 0:
            raise InputError(f"{name}: the image array is empty")
        return Image.fromarray(np.ascontiguousarray(array))
    raise InputError(
        f"{name}: image arrays must be HxW, HxWx3 (RGB) or HxWx4 (RGBA)",
        hint="channels go last, as PIL and NumPy images have them",
    )
