"""Decode any supported image into an upright RGB picture, safely and cheaply.

Why this module exists: photo collections hold every format and mode
(progressive and CMYK JPEGs, 16-bit and palette PNGs, HEIC from phones,
animated GIF/WEBP), EXIF orientation flags, transparent logos, and the odd
decompression bomb or fuzzed file. Everything downstream wants one thing: an
RGB image the way a person sees it, or one typed error naming the file.

:func:`read_image` is the **only** way imgsearch reads an image — indexing,
``vectorize``, queries, both HTTP APIs and thumbnails — so a file gets one
verdict everywhere. Limits are checked from the header before any pixel is
decoded; every exception a decoder raises leaves as an
:class:`~imgsearch.errors.ImageError` (:mod:`imgsearch.media.failures`); a
decode that failed once is never looked at again (Pillow would hand back the
half-filled buffer on a second try). Large JPEGs are decoded at a reduced
scale (libjpeg's DCT scaling, Pillow's ``draft``) when the model only needs a
few hundred pixels, which makes a 12 MP photo several times cheaper to read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import (
    InputError,
    InvalidImageDimensions,
    PixelLimitExceeded,
    UnsupportedImage,
)
from imgsearch.media.archive import embedded as embedded_archive
from imgsearch.media.convert import (
    orientation,
    stored_bytes_per_pixel,
    to_rgb,
    to_upright,
    upright_size,
)
from imgsearch.media.failures import as_image_error, detached
from imgsearch.media.metadata import ImageInfo, image_info
from imgsearch.media.sources import ImageSource, describe_source, open_stream
from imgsearch.types import Box

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DecodeOptions",
    "DecodedImage",
    "ImageSource",
    "describe_source",
    "load_rgb",
    "read_image",
]

DEFAULT_MAX_PIXELS = 89_478_485
"""Pillow's own decompression-bomb threshold (``Image.MAX_IMAGE_PIXELS``): ~89.5 MP."""
DEFAULT_MAX_ASPECT = 100.0
"""Long side over short side. Scrolling screenshots and web comics reach ~60:1; a file
declaring 1×83,886,338 px is an attack (resizing its short side to 224 px would ask for
18.8 billion pixels)."""
DEFAULT_MAX_FILE_BYTES = 1 << 30
"""1 GiB: a file is read whole (hashed and decoded from the same bytes)."""
# TIFF compressions every libtiff build decodes; others (WEBP, LZMA, ZSTD, SGILog, …)
# depend on how it was built, and a failure to decode them is "unsupported", not "damaged".
_BASELINE_TIFF_COMPRESSIONS = {
    "raw", "tiff_raw_16", "packbits", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate",
    "jpeg", "tiff_jpeg", "group3", "group4", "tiff_ccitt",
}  # fmt: skip


@dataclass(frozen=True)
class DecodeOptions:
    """How images are decoded, and the limits that keep memory bounded whatever the file.

    ``max_pixels`` refuses images with more pixels (a decompression-bomb guard;
    ``None`` disables it); ``max_bytes`` refuses images whose decoded buffer
    (pixels × bytes per pixel of their mode, after reduced-scale decoding) would
    be larger — ``None``: 4 bytes per allowed pixel, an RGB image at the pixel
    cap. Both are checked from the header, before any pixel is decoded.
    ``max_file_bytes`` caps the bytes read for one image. ``min_side`` /
    ``max_side`` bound each side in pixels and ``max_aspect`` the ratio of the
    long side to the short one. ``background`` is the colour transparent pixels
    are composited onto (white, the background transparent product shots and
    logos are designed for). ``draft_factor`` is how many times larger than the
    model's input a JPEG is still decoded: 0 turns reduced-scale decoding off, 2
    (the default) keeps the resampling filter's input at least twice the output
    size, which moves preprocessed pixels by about 1% of their range (see
    BENCHMARKS.md).
    """

    max_pixels: int | None = DEFAULT_MAX_PIXELS
    max_bytes: int | None = None
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES
    min_side: int = 1
    max_side: int | None = None
    max_aspect: float | None = DEFAULT_MAX_ASPECT
    background: tuple[int, int, int] = (255, 255, 255)
    draft_factor: float = 2.0

    @property
    def decoded_bytes_cap(self) -> int | None:
        if self.max_bytes is not None:
            return self.max_bytes
        return None if self.max_pixels is None else 4 * self.max_pixels

    def check_dimensions(self, width: int, height: int, name: str) -> None:
        """The one size rule of every entry point: pixel cap, side range, aspect ratio."""
        if self.max_pixels is not None and width * height > self.max_pixels:
            raise PixelLimitExceeded(
                f"{width}x{height} = {width * height / 1e6:.1f} MP exceeds the "
                f"{self.max_pixels / 1e6:.1f} MP limit",
                source=name,
                hint="raise the pixel cap if you trust this file",
            )
        short, long = min(width, height), max(width, height)
        if short < max(self.min_side, 1):
            raise InvalidImageDimensions(
                f"{width}x{height} is smaller than the {self.min_side} px minimum side",
                source=name,
            )
        if self.max_side is not None and long > self.max_side:
            raise InvalidImageDimensions(
                f"{width}x{height} is larger than the {self.max_side} px maximum side",
                source=name,
            )
        if self.max_aspect is not None and long > short * self.max_aspect:
            raise InvalidImageDimensions(
                f"{width}x{height} is more elongated than {self.max_aspect:g}:1",
                source=name,
                hint="crop it into parts, or raise max_aspect if you need such images",
            )


@dataclass(frozen=True)
class DecodedImage:
    """What :func:`read_image` found: the facts (upright size, format, EXIF) and, if asked
    for, the upright RGB pixels (cropped to the box)."""

    info: ImageInfo
    rgb: Image.Image | None
    crops: tuple[Image.Image, ...] = ()
    """Every box's crop, when several were asked for (:func:`read_crops`)."""


def read_image(
    source: ImageSource,
    *,
    name: str | None = None,
    box: Box | None = None,
    min_short_edge: int | None = None,
    pixels: bool = True,
    options: DecodeOptions = DecodeOptions(),
) -> DecodedImage:
    """Read ``source``: its facts and (unless ``pixels=False``) its upright RGB pixels.

    ``name`` names the image in errors (default: :func:`describe_source`).
    ``box`` crops to a region of the upright, full-resolution image.
    ``min_short_edge`` is the smallest short side (in pixels of the final crop)
    the caller needs; when the image is much larger, JPEGs are decoded at a
    reduced scale that still keeps ``options.draft_factor`` times that size.
    With ``pixels=False`` only the header is read where the format allows
    (PNG may keep EXIF after its pixel data: those are decoded, and judged).

    Raises an :class:`~imgsearch.errors.ImageError` subclass naming the image for
    anything wrong with it, whatever the decoder raised, or another
    :class:`~imgsearch.errors.InputError` (a box outside the image, an
    unusable source type). Raised errors hold no traceback into the decoder.
    """
    label = name or describe_source(source)
    try:
        return _read(
            source, label, None if box is None else (box,), min_short_edge, pixels, options
        )
    except InputError as exc:
        error: InputError = detached(exc)
    except Exception as exc:
        error = as_image_error(exc, label, max_pixels=options.max_pixels)
    raise error  # outside the except block: no context that holds the decoder's frames


def read_crops(
    source: ImageSource,
    boxes: Sequence[Box],
    *,
    name: str | None = None,
    min_short_edge: int | None = None,
    options: DecodeOptions = DecodeOptions(),
) -> tuple[ImageInfo, list[Image.Image]]:
    """An image's facts and the upright RGB crop of each of ``boxes``, decoded once (at the
    scale the smallest crop needs); raises as :func:`read_image` does."""
    label = name or describe_source(source)
    try:
        decoded = _read(source, label, tuple(boxes), min_short_edge, bool(boxes), options)
        return decoded.info, list(decoded.crops)
    except InputError as exc:
        error: InputError = detached(exc)
    except Exception as exc:
        error = as_image_error(exc, label, max_pixels=options.max_pixels)
    raise error


def load_rgb(
    source: ImageSource,
    *,
    box: Box | None = None,
    min_short_edge: int | None = None,
    options: DecodeOptions = DecodeOptions(),
) -> Image.Image:
    """Decode ``source`` into an upright RGB image, cropped to ``box`` if given.

    :func:`read_image` without the facts; raises as it does.
    """
    decoded = read_image(source, box=box, min_short_edge=min_short_edge, options=options)
    assert decoded.rgb is not None
    return decoded.rgb


def _read(
    source: ImageSource,
    name: str,
    boxes: tuple[Box, ...] | None,
    min_short_edge: int | None,
    pixels: bool,
    options: DecodeOptions,
) -> DecodedImage:
    # The image is handed straight to _decode, so that its parameter is the only
    # reference and each conversion can free the buffer before it.
    if isinstance(source, Image.Image):
        return _decode(source, name, boxes, min_short_edge, pixels, options)
    if isinstance(source, np.ndarray):
        image = _array_to_image(source, name)
        return _decode(image, name, boxes, min_short_edge, pixels, options)
    with open_stream(source, name, options.max_file_bytes) as stream:
        return _decode(_open(stream, options), name, boxes, min_short_edge, pixels, options)


def _open(stream: BinaryIO, options: DecodeOptions) -> Image.Image:
    """Read only the header (decoder errors are judged by :func:`read_image`)."""
    _let_pillow_allow(options.max_pixels)
    _read_heif()
    return Image.open(stream)


@functools.cache
def _read_heif() -> None:
    """Teach Pillow HEIF/HEIC (phone photos) the first time a file is opened, not at
    import: a text search decodes nothing and skips pillow_heif's ≈ 15 ms load."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _let_pillow_allow(max_pixels: int | None) -> None:
    """Pillow refuses images over twice its process-wide ``MAX_IMAGE_PIXELS`` before we can
    look at them; make room for a higher cap of ours (never lowered: other callers may rely
    on a higher one). Our own check then applies the configured cap with its own message."""
    current = Image.MAX_IMAGE_PIXELS
    if current is None:
        return
    if max_pixels is None:
        Image.MAX_IMAGE_PIXELS = None
    elif max_pixels > current:
        Image.MAX_IMAGE_PIXELS = max_pixels


def _decode(
    image: Image.Image,
    name: str,
    boxes: tuple[Box, ...] | None,
    min_short_edge: int | None,
    pixels: bool,
    options: DecodeOptions,
) -> DecodedImage:
    options.check_dimensions(image.width, image.height, name)
    if image.format == "PNG":
        _load(image, name, options)  # reading its EXIF would decode it anyway, with errors lost
    exif = _exif(image)
    turn = orientation(exif)
    full_size = upright_size(image.size, turn)
    info = image_info(full_size, image.format, exif)
    found = embedded_archive(image, exif)
    if not found.empty or found.problems:
        info = replace(info, archive=found)
    if not pixels:
        return DecodedImage(info, None)
    crops = [box.to_pixels(*full_size) for box in boxes] if boxes is not None else None
    if min_short_edge and options.draft_factor > 0 and image.format in ("JPEG", "MPO"):
        smallest = min(crops, key=lambda c: min(c[2] - c[0], c[3] - c[1])) if crops else None
        _request_draft(image, full_size, smallest, min_short_edge * options.draft_factor)
    _load(image, name, options)
    if crops:
        decoded = upright_size(image.size, turn)
        scale = decoded[0] / full_size[0], decoded[1] / full_size[1]
        crops = [_scale_crop(crop, *scale) for crop in crops]
    image = to_upright(image, turn)
    image = to_rgb(image, options.background)
    if crops is None:
        return DecodedImage(info, image)
    cut = tuple(image.crop(crop) for crop in crops)
    return DecodedImage(info, cut[0] if cut else None, cut)


def _load(image: Image.Image, name: str, options: DecodeOptions) -> None:
    """Decode the pixels, once the buffer they need is known to be within the byte cap."""
    cap = options.decoded_bytes_cap
    needed = image.width * image.height * stored_bytes_per_pixel(image.mode)
    if cap is not None and needed > cap:
        raise PixelLimitExceeded(
            f"{image.width}x{image.height} {image.mode} decodes to {needed / 1e6:.0f} MB, "
            f"more than the {cap / 1e6:.0f} MB limit",
            source=name,
            hint="raise the pixel cap if you trust this file",
        )
    try:
        image.load()
    except Exception as exc:
        compression = image.info.get("compression") if image.format == "TIFF" else None
        if compression is None or compression in _BASELINE_TIFF_COMPRESSIONS:
            raise
        raise UnsupportedImage(
            f"a TIFF compressed with {compression}, which this build cannot decode ({exc})",
            source=name,
            hint="convert it to a common variant (e.g. re-save as PNG or JPEG)",
        ) from None


def _exif(image: Image.Image) -> Image.Exif:
    """The EXIF of an image whose reading cannot decode pixels (or has decoded them);
    damaged EXIF reads as none rather than costing the user the image."""
    try:
        return image.getexif()
    except Exception:
        return Image.Exif()


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
