"""The steps of an index run, each a function of immutable values.

``plan`` compares the disk with the store and says which files need reading;
``read`` (on worker threads) turns one file into its facts and, when no stored
vector can serve, its model input — or into a failure record; ``decide`` turns
one read into what to write and which event it is. Only :class:`Moves`, the
vanished rows a moved file may claim, changes as a run goes.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from imgsearch.errors import EXTRA_MODULES, ImageError, ImageUnreadable, MissingExtra, extra_named
from imgsearch.indexer.read_text import TextRead, TextReading, decode_with_text
from imgsearch.indexer.report import EventKind
from imgsearch.kinds import MediaKind
from imgsearch.media.archive import ArchiveMetadata, from_sidecar, sidecar_of
from imgsearch.media.sources import too_large
from imgsearch.media.walk import FileEntry
from imgsearch.models.encoder import Pixels, Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.store import Failure, ImageFacts, ImageWrite, Region, StoredFile


@dataclass(frozen=True)
class Candidate:
    """A file that needs reading: new, changed, or known bad but changed since."""

    entry: FileEntry
    stored: StoredFile | None


@dataclass(frozen=True)
class Plan:
    """What a run has to do: files to read, and what it can say without reading."""

    candidates: tuple[Candidate, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # known bad and unchanged: (path, why)
    vanished: tuple[StoredFile, ...]  # stored rows whose file is gone
    resolved: tuple[str, ...]  # failures of files that are gone


def _extra_now_installed(failure: Failure) -> bool:
    """Whether ``failure`` was an extra that was missing (:class:`MissingExtra`) and is
    installed now: the file is read again without ``--retry-failed``."""
    extra = extra_named(failure.message) if failure.code == MissingExtra.__name__ else None
    return extra is not None and importlib.util.find_spec(EXTRA_MODULES[extra]) is not None


def plan(
    disk: Iterable[FileEntry],
    stored: Mapping[str, StoredFile],
    failed: Mapping[str, Failure],
    *,
    retry_failed: bool,
) -> Plan:
    candidates, unchanged, skipped, on_disk = [], [], [], set()
    for entry in disk:
        on_disk.add(entry.path)
        row, known_bad = stored.get(entry.path), failed.get(entry.path)
        if (
            row is not None
            and row.has_vector
            and _same_file(row.size, row.mtime_ns, entry)
            and row.sidecar_mtime_ns == entry.sidecar_mtime_ns  # its sidecar unchanged too
        ):
            unchanged.append(entry.path)
        elif (
            known_bad is not None
            and not retry_failed
            and _same_file(known_bad.size, known_bad.mtime_ns, entry)
            and not _extra_now_installed(known_bad)
        ):
            skipped.append((entry.path, known_bad.message))
        else:
            candidates.append(Candidate(entry, row))
    vanished = tuple(row for path, row in stored.items() if path not in on_disk)
    # A renamed file keeps its size and modification time, a copy seldom does: new files
    # that look like a vanished one go first, so that where a file was both moved and
    # copied, the moved one claims the row (its id, caption and boxes), not the copy.
    moved_like = {(row.size, row.mtime_ns) for row in vanished if row.has_vector}
    candidates.sort(
        key=lambda c: c.stored is not None or (c.entry.size, c.entry.mtime_ns) not in moved_like
    )
    return Plan(
        tuple(candidates),
        tuple(unchanged),
        tuple(skipped),
        vanished,
        tuple(path for path in failed if path not in on_disk),
    )


def _same_file(size: int, mtime_ns: int, entry: FileEntry) -> bool:
    return (size, mtime_ns) == (entry.size, entry.mtime_ns)


class Moves:
    """Vanished rows with vectors, by content: a new file with the same bytes claims one
    (a move keeps the row's id and vector); whatever is left unclaimed is removed."""

    def __init__(self, vanished: Iterable[StoredFile]) -> None:
        self._all = list(vanished)
        self._by_digest: dict[str, list[StoredFile]] = {}
        for row in self._all:
            if row.has_vector:
                self._by_digest.setdefault(row.digest, []).append(row)
        self._claimed: set[int] = set()

    def knows(self, digest: str) -> bool:
        """Whether a vanished row holds these bytes (read-only: safe from worker threads)."""
        return digest in self._by_digest

    def claim(self, digest: str) -> StoredFile | None:
        rows = self._by_digest.get(digest)
        while rows:
            row = rows.pop(0)
            if row.id not in self._claimed:
                self._claimed.add(row.id)
                return row
        return None

    def unclaimed(self) -> list[StoredFile]:
        return [row for row in self._all if row.id not in self._claimed]


@dataclass(frozen=True)
class Read:
    """One candidate, read: its facts and (if the model must see it) its pixels, or why
    it cannot be indexed — a small record, never the exception with its decoder state."""

    candidate: Candidate
    facts: ImageFacts | None = None
    pixels: Pixels | None = None
    failure: Failure | None = None
    kind: MediaKind | None = None
    """A many-part item's kind (a video, a PDF): only its facts are read here, its parts
    later, only if they must be embedded (:mod:`imgsearch.indexer.many_parts`)."""
    text: TextRead | None = None
    """The text read in it (OCR), when the run reads text and the model sees it."""


def read(
    candidate: Candidate,
    images: ImagePipeline,
    known: Callable[[str], bool],
    reading: TextReading | None = None,
) -> Read:
    """Hash and decode ``candidate``'s file; the model input is skipped when its bytes
    already have a vector (``known(digest)``, or its own unchanged row). With ``reading``,
    an image the model sees has its text read from the same decode."""
    entry = candidate.entry
    text = None
    try:
        data = read_file(entry, images)
        digest = hashlib.sha256(data).hexdigest()
        row = candidate.stored
        reuse = row is not None and row.digest == digest and row.has_vector
        pixels_needed = not (reuse or known(digest))
        if reading is not None and pixels_needed:
            info, pixels, text = decode_with_text(data, entry.path, images, reading)
        else:
            info, pixels = images.read_image(data, name=entry.path, pixels=pixels_needed)
    except ImageError as exc:
        return Read(candidate, failure=failure_of(entry, exc))
    facts = ImageFacts(
        path=entry.path,
        size=len(data),
        mtime_ns=entry.mtime_ns,
        digest=digest,
        width=info.width,
        height=info.height,
        format=info.format,
        captured_at=info.captured_at,
        camera=info.camera,
        latitude=info.latitude,
        longitude=info.longitude,
        archive=_with_sidecar(entry, info.archive),
        sidecar_mtime_ns=entry.sidecar_mtime_ns,
    )
    return Read(candidate, facts, pixels, text=text)


def _with_sidecar(entry: FileEntry, embedded: ArchiveMetadata | None) -> ArchiveMetadata | None:
    """What the file embeds for archives, under what its XMP sidecar says (which wins)."""
    sidecar = sidecar_of(entry.path) if entry.sidecar_mtime_ns else None
    if sidecar is None:
        return embedded
    found = from_sidecar(sidecar).over(embedded or ArchiveMetadata())
    return None if found.empty and not found.problems else found


def read_file(entry: FileEntry, images: ImagePipeline) -> bytes:
    limit = images.decode_options.max_file_bytes
    if limit is not None and entry.size > limit:  # not even read
        raise too_large(entry.size, limit, entry.path)
    try:
        return Path(entry.path).read_bytes()
    except OSError as exc:
        raise ImageUnreadable(
            f"cannot be read ({exc.strerror or exc})", source=entry.path
        ) from None


def failure_of(entry: FileEntry, error: ImageError) -> Failure:
    return Failure(entry.path, entry.size, entry.mtime_ns, type(error).__name__, error.reason)


@dataclass(frozen=True)
class Outcome:
    """What one read file becomes: its event, and what the batch writes for it."""

    kind: EventKind
    write: ImageWrite | None = None
    failure: Failure | None = None
    delete: int | None = None  # a stored row whose file went bad
    embedded: int = 0  # model runs this outcome cost beyond the batch's own
    parts: list[tuple[Region, Vectors]] | None = None
    """A many-part item's kept parts with their vectors, written as its regions."""
    text_layer: TextRead | None = None
    """A many-part item's own text (a PDF's text layer), written as its read text."""


def decide(
    item: Read,
    fresh: Mapping[str, Vectors],
    owner: bool,
    moves: Moves,
    stored_vector: Callable[[str], Vectors | None],
    embed_again: Callable[[FileEntry], Vectors],
) -> Outcome:
    """``fresh`` holds the batch's new vectors by digest; ``owner`` says whether this file
    was the first of the batch with its bytes (its vector is its own). A duplicate copies
    the vector of its twin, or embeds its own when the twin vanished meanwhile
    (``embed_again``, which may raise :class:`ImageError`)."""
    row = item.candidate.stored
    if item.failure is not None or item.facts is None:
        assert item.failure is not None
        return Outcome("failed", failure=item.failure, delete=row.id if row else None)
    facts, digest = item.facts, item.facts.digest
    row_id = row.id if row is not None else None
    if row is not None and row.digest == digest and row.has_vector:
        return Outcome("touched", ImageWrite(facts, None, id=row_id))
    if owner:
        kind: EventKind = "updated" if row is not None else "added"
        return Outcome(kind, ImageWrite(facts, fresh[digest], id=row_id))
    if row is None and (moved_from := moves.claim(digest)) is not None:
        return Outcome("moved", ImageWrite(facts, None, id=moved_from.id))
    vector = fresh.get(digest)
    if vector is None:
        vector = stored_vector(digest)
    if vector is not None:
        return Outcome("duplicate", ImageWrite(facts, vector, id=row_id))
    try:  # its twin was deleted by someone else meanwhile
        vector = embed_again(item.candidate.entry)
    except ImageError as exc:
        failure = failure_of(item.candidate.entry, exc)
        return Outcome("failed", failure=failure, delete=row_id)
    return Outcome("duplicate", ImageWrite(facts, vector, id=row_id), embedded=1)
