"""Where image bytes come from: paths, bytes, file objects — opened within a size limit.

The typed errors for a missing, unreadable or oversized file are raised here, naming
the file; what the bytes hold is :mod:`imgsearch.media.decode`'s business.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import EmptyFile, FileTooLarge, ImageNotFound, ImageUnreadable, InputError

ImageSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | Image.Image | NDArray[np.uint8]"
"""Anything imgsearch accepts as an image: a path, encoded bytes, a binary file
object, a PIL image, or a uint8 array (H×W, H×W×3 RGB or H×W×4 RGBA)."""


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


def open_stream(source: ImageSource, name: str, limit: int | None) -> BinaryIO:
    """A binary stream of ``source`` (not of PIL images or arrays), refusing more than
    ``limit`` bytes; closing it never closes a caller's file object."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            stream = path.open("rb")
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
        size = os.fstat(stream.fileno()).st_size
        if limit is not None and size > limit:
            stream.close()
            raise too_large(size, limit, name)
        if size == 0:
            stream.close()
            raise empty(name)
        return stream
    if isinstance(source, bytes | bytearray | memoryview):
        if limit is not None and len(source) > limit:
            raise too_large(len(source), limit, name)
        if not len(source):
            raise empty(name)
        return io.BytesIO(source)
    if hasattr(source, "read"):
        borrowed = cast(BinaryIO, _BorrowedStream(cast(BinaryIO, source)))
        if not borrowed.seekable():  # Pillow seeks: read it, within the limit
            data = borrowed.read(-1 if limit is None else limit + 1)
            if limit is not None and len(data) > limit:
                raise too_large(len(data), limit, name)
            return io.BytesIO(data)
        return borrowed
    raise InputError(
        f"cannot use a {type(source).__name__} as an image",
        hint="pass a path, bytes, a binary file object, a PIL image or a uint8 array",
    )


def empty(name: str) -> EmptyFile:
    return EmptyFile(
        "the file is empty (0 bytes)",
        source=name,
        hint="a copy may still be arriving, or it was truncated: the next run reads it again "
        "once it has bytes",
    )


def too_large(size: int, limit: int, name: str) -> FileTooLarge:
    return FileTooLarge(
        f"the file is {size / 1e6:.1f} MB, more than the {limit / 1e6:.1f} MB limit",
        source=name,
        hint="raise max_file_bytes if you trust this file",
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
