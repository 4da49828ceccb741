"""The one boundary between decoders and the rest of imgsearch.

Decoders raise whatever they like: Pillow's plugins raise ``OSError``,
``SyntaxError``, ``ValueError``, ``struct.error``, ``NotImplementedError``
(a DDS texture with an unimplemented pixel format), ``EOFError``, even
``KeyError``; pillow-heif raises ``RuntimeError``; a huge allocation raises
``MemoryError``. A user's file must never stop a run or answer a 500, so
every exception raised while reading one becomes a typed
:class:`~imgsearch.errors.ImageError` naming that file — here, by kind and
message, not by a list of exception types that the next decoder will outgrow.

The error that leaves the boundary is *detached*: no traceback, cause or
context. A decoder's exception chain holds the frames it failed in, and
those frames hold the half-decoded pixel buffers (tens of megabytes per
photo); a run that kept a few hundred such errors would keep gigabytes.
"""

from __future__ import annotations

import errno
import re
from typing import TypeVar

from PIL import Image, UnidentifiedImageError

from imgsearch.errors import (
    CorruptImage,
    ImageError,
    ImageUnreadable,
    PixelLimitExceeded,
    UnsupportedImage,
)
from imgsearch.media.quiet import pillow_loaded

pillow_loaded()  # libtiff came with Pillow: silence it now if the edge asked

SUPPORTED_FORMATS = "JPEG, PNG, GIF, BMP, TIFF, ICO, WEBP, MPO, HEIC/HEIF, AVIF"

# Messages with which decoders say "valid file, variant I cannot decode".
_UNSUPPORTED = re.compile(
    r"unsupported|not supported|unimplemented|not implemented|not available|unknown (raw )?mode"
    r"|unknown compression|unknown pixel",
    re.IGNORECASE,
)

E = TypeVar("E", bound=BaseException)


def as_image_error(error: Exception, name: str, *, max_pixels: int | None = None) -> ImageError:
    """The typed, detached error for ``error``, raised while reading the image ``name``."""
    if isinstance(error, ImageError):
        return detached(error)
    return detached(_classify(error, name, max_pixels))


def _classify(error: Exception, name: str, max_pixels: int | None) -> ImageError:
    detail = _describe(error)
    if isinstance(error, Image.DecompressionBombError):
        cap = f"the {max_pixels / 1e6:.1f} MP limit" if max_pixels else "Pillow's pixel limit"
        return PixelLimitExceeded(
            f"the image exceeds {cap}",
            source=name,
            hint="raise the pixel cap if you trust this file",
        )
    if isinstance(error, UnidentifiedImageError):
        return UnsupportedImage(
            "not a recognised image format (or the header is damaged)",
            source=name,
            hint=f"supported: {SUPPORTED_FORMATS}",
        )
    if isinstance(error, MemoryError):
        return PixelLimitExceeded(
            "needs more memory to decode than is available",
            source=name,
            hint="lower the pixel cap (max_pixels) or give the process more memory",
        )
    if isinstance(error, NotImplementedError) or _UNSUPPORTED.search(detail):
        return UnsupportedImage(
            f"a variant of its format that cannot be decoded ({detail})",
            source=name,
            hint="convert it to a common variant (e.g. re-save as PNG or JPEG)",
        )
    if isinstance(error, OSError) and error.errno in (errno.EIO, errno.EACCES, errno.ENXIO):
        return ImageUnreadable(f"cannot be read ({error.strerror or detail})", source=name)
    if isinstance(error, OSError | SyntaxError | ValueError | EOFError | IndexError):
        return CorruptImage(f"truncated or damaged image data ({detail})", source=name)
    return CorruptImage(
        f"the decoder failed on this file ({type(error).__name__}: {detail})", source=name
    )


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def detached(error: E) -> E:
    """``error`` without the traceback, cause and context that would keep frames alive."""
    error.__traceback__ = None
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error
