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
import stat
import threading
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


def open_indexed(record: ImageRecord, roots: Sequence[Path]) -> BinaryIO | None:
    """The file of ``record``, opened, if it is still the indexed file under a real root."""
    try:
        real = Path(record.path).resolve(strict=True)
    except (OSError, RuntimeError):  # gone, or a link loop
        return None
    if not any(real.is_relative_to(root) for root in roots):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(real, flags)  # O_NONBLOCK: a FIFO put there must not hang us
    except OSError:
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or (info.st_size, info.st_mtime_ns) != (
        record.size,
        record.mtime_ns,
    ):
        os.close(descriptor)
        return None
    return os.fdopen(descriptor, "rb")


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The rest of ``stream`` in pieces, closing it at the end (or when abandoned)."""
    with stream:
        while piece := stream.read(_CHUNK):
            yield piece


def thumbnail_size(requested: int) -> int:
    return next((size for size in THUMBNAIL_SIZES if size >= requested), THUMBNAIL_SIZES[-1])


def thumbnail_path(cache: Path, record: ImageRecord, size: int) -> Path:
    """Keyed by the file's content, so a changed file never meets an old thumbnail."""
    return cache / record.digest[:2] / f"{record.digest}-{size}.jpg"


def temporary_beside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
