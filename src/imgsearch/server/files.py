"""Serving indexed files and their thumbnails without serving anything else.

A request names an image by id, never by path. Its file is opened only when
its **real** location (every symbolic link resolved) lies under a real root,
the last component is opened without following a link (a file swapped for a
link after the check is refused), it is a regular file, and its size and
modification time are still those that were indexed — a file replaced since
(``ln -s /etc/passwd swap.png``) is not the image the index describes, so it
is "not available" until the next index run looks at it again. The opened
file itself is what is sent or decoded, so nothing can change between the
check and the read.
"""

from __future__ import annotations

import os
import re
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from imgsearch.store import ImageRecord

THUMBNAIL_SIZES = (64, 128, 256, 512, 1024)
"""Long sides of the thumbnails made and cached; a request is answered with the
smallest of them at least as large as it asked for (so one image has at most five)."""
_CHUNK = 256 * 1024


def real_roots(roots: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The roots with every symbolic link resolved (those that exist)."""
    found = []
    for root in roots:
        try:
            found.append(Path(root).expanduser().resolve(strict=True))
        except (OSError, RuntimeError):
            continue
    return found


class RealRoots:
    """:func:`real_roots` of configured roots, resolved again at most once a second: every
    file and thumbnail request checks against them, and resolving a path costs a system
    call per component (a retargeted root link is followed within the second)."""

    TTL = 1.0

    def __init__(self, roots: Sequence[str | os.PathLike[str]]) -> None:
        self._roots = list(roots)
        self._lock = threading.Lock()
        self._resolved: list[Path] = []
        self._until = -1.0

    def get(self) -> list[Path]:
        with self._lock:
            now = time.monotonic()
            if now >= self._until:
                self._resolved, self._until = real_roots(self._roots), now + self.TTL
            return self._resolved


# Linux: open a handle to the path that reads nothing (O_PATH: no device or FIFO is
# touched), ask the kernel where it really is (/proc/self/fd), check that, and open
# that very inode for reading. Three system calls where resolving the path costs one
# per component, and nothing can be swapped between the check and the read.
_O_PATH = getattr(os, "O_PATH", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put there must not hang us
_BY_HANDLE = bool(_O_PATH) and Path("/proc/self/fd").is_dir()


def open_indexed(record: ImageRecord, roots: Sequence[Path]) -> BinaryIO | None:
    """The file of ``record``, opened, if it is still the indexed file under a real root."""
    if _BY_HANDLE:
        return _open_by_handle(record, roots)
    try:
        real = Path(record.path).resolve(strict=True)
    except (OSError, RuntimeError):  # gone, or a link loop
        return None
    if not any(real.is_relative_to(root) for root in roots):
        return None
    try:
        descriptor = os.open(real, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    return _if_indexed(descriptor, record)


def _open_by_handle(record: ImageRecord, roots: Sequence[Path]) -> BinaryIO | None:
    try:
        handle = os.open(record.path, _O_PATH | os.O_CLOEXEC)
    except OSError:  # gone, a link loop, not allowed
        return None
    try:
        real = Path(f"/proc/self/fd/{handle}").readlink()
        if not any(real.is_relative_to(root) for root in roots):
            return None
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        descriptor = os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | _NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    finally:
        os.close(handle)
    return _if_indexed(descriptor, record)


def _if_indexed(descriptor: int, record: ImageRecord) -> BinaryIO | None:
    """``descriptor`` as a file if it is a regular file of the indexed size and time."""
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or (info.st_size, info.st_mtime_ns) != (
        record.size,
        record.mtime_ns,
    ):
        os.close(descriptor)
        return None
    return os.fdopen(descriptor, "rb")


def chunks(stream: BinaryIO, length: int | None = None) -> Iterator[bytes]:
    """The rest of ``stream`` (or its next ``length`` bytes) in pieces, closing it at the
    end (or when abandoned)."""
    left = length
    with stream:
        while left is None or left > 0:
            piece = stream.read(_CHUNK if left is None else min(_CHUNK, left))
            if not piece:
                return
            if left is not None:
                left -= len(piece)
            yield piece


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte of a ``Range: bytes=…`` request for a file of ``size``
    bytes, or None to send it whole (no header, several ranges, or a form this does
    not read — which RFC 9110 allows a server to ignore); a range wholly past the end
    is :class:`RangeNotSatisfiable`. Browsers seek in videos this way."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        count = _position(last)
        if count == 0:
            raise RangeNotSatisfiable(size)
        return max(size - count, 0), size - 1
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if start >= size or (last and _position(last) < start):
        raise RangeNotSatisfiable(size)
    return start, end


def _position(digits: str) -> int:
    """A byte position as written; past any file's end when longer than 18 digits (Python
    refuses to convert 4,300 digits and more, and parsing them costs quadratic time)."""
    return int(digits) if len(digits) <= 18 else 10**18


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"the file has {size} bytes")
        self.size = size


def thumbnail_size(requested: int) -> int:
    return next((size for size in THUMBNAIL_SIZES if size >= requested), THUMBNAIL_SIZES[-1])


def thumbnail_path(cache: Path, record: ImageRecord, size: int) -> Path:
    """Keyed by the file's content, so a changed file never meets an old thumbnail."""
    return cache / record.digest[:2] / f"{record.digest}-{size}.jpg"


def temporary_beside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
