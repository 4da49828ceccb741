"""Find the image and video files under folders, the way a photo library expects.

Recursive, in a stable order (sorted by path), following symlinked folders but
never around a loop (each real folder is visited once), skipping hidden files
and folders unless asked, and ``--exclude`` globs matched against the path
relative to its root and against the bare name. Which files count as media
is decided by extension here (cheap); what they really are is decided by their
content later, so a PNG named ``.jpg`` is fine, an MP4 named ``.mov`` is a video,
and a text file named ``.jpg`` is reported.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".dib", ".tif", ".tiff",
        ".webp", ".heic", ".heif", ".avif", ".ico", ".mpo", ".ppm", ".pgm", ".pbm", ".tga",
    }
)  # fmt: skip
"""File name endings of still images; the other kinds' (videos, PDFs) are their own
(:mod:`imgsearch.kinds`), passed to :func:`walk_images` by the indexer."""


@dataclass(frozen=True)
class FileEntry:
    """An image or video file found on disk: absolute path, size in bytes, mtime in nanoseconds."""

    path: str
    size: int
    mtime_ns: int
    sidecar_mtime_ns: int = 0
    """The modification time of its XMP sidecar (``photo.jpg.xmp``, else ``photo.xmp``);
    0: it has none. A sidecar edited in digiKam or darktable makes the file read again."""


def walk_images(
    roots: Sequence[str | os.PathLike[str]],
    *,
    exclude: Sequence[str] = (),
    include_hidden: bool = False,
    on_error: Callable[[str, str], None] | None = None,
    extensions: frozenset[str] = IMAGE_EXTENSIONS,
) -> Iterator[FileEntry]:
    """Yield the files under ``roots`` whose lower-case suffix is one of ``extensions``,
    sorted by path; unreadable folders go to ``on_error``."""
    seen_dirs: set[tuple[int, int]] = set()
    rules = _Rules(tuple(exclude), include_hidden, extensions, on_error)
    for root in sorted({str(Path(r).resolve()) for r in roots}):
        yield from _walk(Path(root), Path(root), rules, seen_dirs)


@dataclass(frozen=True)
class _Rules:
    exclude: tuple[str, ...]
    include_hidden: bool
    extensions: frozenset[str]
    on_error: Callable[[str, str], None] | None


def _excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    relative = path.relative_to(root).as_posix()
    return any(
        fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(path.name, p) for p in patterns
    )


def _walk(
    folder: Path, root: Path, rules: _Rules, seen: set[tuple[int, int]]
) -> Iterator[FileEntry]:
    on_error = rules.on_error
    try:
        info = folder.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen:
            return  # a symlink loop or a folder reached twice
        seen.add(key)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        if on_error is not None:
            on_error(str(folder), exc.strerror or str(exc))
        return
    sidecars = {e.name: e for e in entries if e.name.endswith(".xmp")}
    for entry in entries:
        if not rules.include_hidden and entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if _excluded(path, root, rules.exclude):
            continue
        try:
            if entry.is_dir(follow_symlinks=True):
                yield from _walk(path, root, rules, seen)
                continue
            if path.suffix.lower() not in rules.extensions or not entry.is_file():
                continue
            stat = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if on_error is not None:
                on_error(entry.path, exc.strerror or str(exc))
            continue
        yield FileEntry(entry.path, stat.st_size, stat.st_mtime_ns, _sidecar_time(path, sidecars))


def _sidecar_time(path: Path, sidecars: dict[str, os.DirEntry[str]]) -> int:
    """The modification time of ``path``'s sidecar among its folder's ``.xmp`` files, as
    :func:`imgsearch.media.archive.sidecar_of` picks it (a regular file, not a link)."""
    for name in (path.name + ".xmp", path.stem + ".xmp"):
        found = sidecars.get(name)
        if found is None:
            continue
        try:
            if found.is_file(follow_symlinks=False):
                return found.stat(follow_symlinks=False).st_mtime_ns
        except OSError:
            continue
    return 0
