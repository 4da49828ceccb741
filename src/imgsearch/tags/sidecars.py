"""Tags and captions out to XMP sidecars, where digiKam, darktable, Lightroom and exiftool
read them: ``photo.jpg.xmp`` beside ``photo.jpg`` (darktable's and digiKam's naming, the
default) or ``photo.xmp`` (Lightroom's).

What is written: a picture's own tags (``imgsearch annotate --tag``) and, when asked, its
automatic tags above a confidence, as ``dc:subject`` keywords; its caption as the
``x-default`` ``dc:description``. A sidecar that exists already is merged into, never
replaced: its keywords are kept (ours are added), its other languages and everything
else it holds (another tool's develop history, ratings) stay as they were. The pictures
themselves are never opened for writing.

Safety: a sidecar is written to a new file beside it and renamed over it (a crash leaves
the old one or the new one, never half of one); a sidecar path that is a symbolic link
or not a regular file is refused, as is an existing sidecar whose XML declares entities
(:mod:`imgsearch.media.xmp`) — each a failure of that picture; the run goes on.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from imgsearch.errors import InvalidQuery
from imgsearch.media import xmp
from imgsearch.store import Filters, ImageRecord
from imgsearch.store.browsing import Listing

NAMINGS = ("darktable", "lightroom")
"""``darktable``: ``photo.jpg.xmp`` (also digiKam's default); ``lightroom``: ``photo.xmp``."""
PAGE = 500
"""Pictures read from the index at a time."""


class SidecarHost(Protocol):
    """What writing sidecars needs of an :class:`~imgsearch.Index`."""

    def browse(
        self, filters: Filters = ..., *, order: str = ..., limit: int = ..., offset: int = ...
    ) -> Listing: ...

    def auto_tags(self, image_ids: Sequence[int]) -> dict[int, dict[str, float]]: ...


@dataclass
class SidecarReport:
    """What a run wrote."""

    written: int = 0
    unchanged: int = 0
    """Pictures whose sidecar already held everything (left untouched)."""
    nothing: int = 0
    """Pictures with no caption and no tag to write."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(sidecar path, why) for each picture whose sidecar could not be written."""


def sidecar_path(picture: str, naming: str = "darktable") -> Path:
    """Where ``picture``'s sidecar goes under ``naming`` (see :data:`NAMINGS`)."""
    if naming not in NAMINGS:
        raise InvalidQuery(
            f"unknown sidecar naming {naming!r}", hint=f"one of {', '.join(NAMINGS)}"
        )
    path = Path(picture)
    return path.with_name(path.name + ".xmp") if naming == "darktable" else path.with_suffix(".xmp")


def _pictures(index: SidecarHost, filters: Filters) -> Iterator[ImageRecord]:
    offset = 0
    while True:
        page = index.browse(filters, order="path", limit=PAGE, offset=offset)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def write_sidecars(
    index: SidecarHost,
    *,
    filters: Filters = Filters(),
    auto_min_confidence: float | None = None,
    naming: str = "darktable",
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> SidecarReport:
    """Write (merge) the sidecar of every indexed item ``filters`` allow that has a caption
    or a tag; ``auto_min_confidence``: add its automatic tags of at least that confidence
    (``None``: none); ``dry_run``: count, write nothing."""
    if auto_min_confidence is not None and not 0.0 < auto_min_confidence <= 1.0:
        raise InvalidQuery(f"a confidence of {auto_min_confidence} is not in (0, 1]")
    report = SidecarReport()
    done = 0
    for chunk in _chunks(_pictures(index, filters), PAGE):
        automatic = index.auto_tags([r.id for r in chunk]) if auto_min_confidence else {}
        for record in chunk:
            given = automatic.get(record.id, {})
            chosen = [
                t for t, c in given.items() if auto_min_confidence and c >= auto_min_confidence
            ]
            keywords = tuple(
                dict.fromkeys([*record.tags, *sorted(chosen, key=lambda t: -given[t])])
            )
            if not keywords and not record.caption:
                report.nothing += 1
                continue
            target = sidecar_path(record.path, naming)
            try:
                changed = _merge_into(target, keywords, record.caption, dry_run)
            except (OSError, xmp.XmpRefused) as exc:
                report.failed.append((str(target), _reason(exc)))
                continue
            if changed:
                report.written += 1
            else:
                report.unchanged += 1
        done += len(chunk)
        if on_progress is not None:
            on_progress(done)
    return report


def _chunks(items: Iterator[ImageRecord], size: int) -> Iterator[list[ImageRecord]]:
    chunk: list[ImageRecord] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _merge_into(
    target: Path, keywords: tuple[str, ...], caption: str | None, dry_run: bool
) -> bool:
    """Merge into ``target`` (or create it); whether it changed."""
    existing = _read_existing(target)
    root = xmp.empty() if existing is None else xmp.parse(existing)
    before = xmp.facts(root)
    wanted_description = caption if caption else None
    if set(keywords) <= set(before.keywords) and (
        wanted_description is None or before.description == wanted_description
    ):
        return False
    body = xmp.serialise(xmp.merged(root, keywords, wanted_description))
    if not dry_run:
        _replace(target, body)
    return True


def _read_existing(target: Path) -> bytes | None:
    """The sidecar's bytes, ``None`` when there is none; refuses links and non-files."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise OSError(0, "the sidecar is a symbolic link: not followed")
    if not stat.S_ISREG(info.st_mode):
        raise OSError(0, "the sidecar path is not a regular file")
    if info.st_size > xmp.MAX_PACKET_BYTES:
        raise xmp.XmpRefused(f"a sidecar of {info.st_size:,} bytes")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(xmp.MAX_PACKET_BYTES + 1)


def _replace(target: Path, body: bytes) -> None:
    """Write ``body`` beside ``target`` and rename it over ``target``."""
    temporary = target.with_name(f".{target.name}.imgsearch-{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
