"""Bring an index in step with folders on disk: walk → hash → decode → embed → write.

Every run compares the disk with the store and does the least work that makes
them agree:

* unchanged files (same size and mtime) are skipped without being read;
* changed files are hashed; if the bytes are the same (a touched file) only the
  metadata is refreshed, otherwise the file is embedded again;
* a new file whose bytes the index already holds is not embedded: if those
  bytes belonged to a file that has gone, it is a **move** (the row keeps its
  id and vector), otherwise a **duplicate** (its vector is copied);
* files that vanished are removed at the end, after moves were matched;
* bad files are recorded with their reason and not retried until they change.

Decoding runs in a thread pool ahead of the model, and every batch is written
in one transaction, in path order. Killing the process at any moment loses
only the batch in flight, and the next run picks up exactly where this one
stopped — ids, paths and vectors end up as an uninterrupted run leaves them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from imgsearch.encoder import Encoder
from imgsearch.errors import ImageError, ImageUnreadable, InputError
from imgsearch.media.sources import too_large
from imgsearch.media.walk import FileEntry, walk_images
from imgsearch.pipeline import ordered_map
from imgsearch.store import (
    Failure,
    ImageFacts,
    ImageWrite,
    IndexSettings,
    Run,
    Store,
    StoredFile,
    WriteBatch,
)

EVENT_KINDS = (
    "added", "updated", "touched", "moved", "duplicate", "removed", "failed", "unchanged", "skipped"
)  # fmt: skip
"""What happened to a file: embedded as new / embedded again / metadata only /
found at a new path / copied from identical bytes / gone / bad / untouched /
known bad and unchanged."""

_MAX_PENDING = 256  # files waiting for one write, when few of them need the model
MAX_REPORTED_FAILURES = 10_000
"""Failures an :class:`IndexReport` lists (``counts["failed"]`` counts them all, and the
store keeps every one: ``imgsearch status --errors``)."""


@dataclass(frozen=True)
class IndexEvent:
    """One file's outcome, reported as the run goes (``done`` of ``total`` so far)."""

    kind: str
    path: str
    done: int
    total: int
    message: str = ""


@dataclass
class IndexReport:
    """Summary of a run: counts per event kind, how many images the model saw, the failures
    (the first :data:`MAX_REPORTED_FAILURES`)."""

    roots: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENT_KINDS, 0))
    embedded: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    walk_errors: list[tuple[str, str]] = field(default_factory=list)

    def as_run(self, started_at: float, finished_at: float | None, completed: bool) -> Run:
        c = self.counts
        return Run(
            started_at=started_at,
            finished_at=finished_at,
            roots=self.roots,
            added=c["added"],
            updated=c["updated"] + c["touched"],
            moved=c["moved"],
            duplicates=c["duplicate"],
            removed=c["removed"],
            failed=c["failed"],
            unchanged=c["unchanged"] + c["skipped"],
            embedded=self.embedded,
            completed=completed,
        )


@dataclass
class _Work:
    """A file that needs reading: new, changed, or known bad but changed since.

    A bad file keeps only its :class:`Failure` record (path, code, message), never the
    exception: the record is all a write needs, and holds no decoder state.
    """

    entry: FileEntry
    stored: StoredFile | None
    facts: ImageFacts | None = None
    pixels: NDArray[np.float32] | None = None
    failure: Failure | None = None
    kind: str = ""


class Indexer:
    """Syncs one store with folders using one encoder. Reusable across runs."""

    def __init__(
        self,
        store: Store,
        encoder: Encoder,
        *,
        on_event: Callable[[IndexEvent], None] | None = None,
        source: str | None = None,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.on_event = on_event
        self.source = source or encoder.source

    def bind(self, *, reembed: bool = False) -> None:
        """Tie the store to this encoder's model (the model guard)."""
        self.store.bind(
            IndexSettings(
                self.encoder.model_id,
                self.encoder.dim,
                json.dumps(self.encoder.preprocessing, sort_keys=True),
                source=self.source,
            ),
            reembed=reembed,
        )

    def update(
        self,
        roots: Sequence[str | os.PathLike[str]],
        *,
        exclude: Sequence[str] = (),
        include_hidden: bool = False,
        retry_failed: bool = False,
        reembed: bool = False,
    ) -> IndexReport:
        """Bring the index in step with ``roots``; returns what happened."""
        folders = _check_roots(roots)
        self.bind(reembed=reembed)
        started = time.time()
        report = IndexReport(roots=tuple(folders))
        run_id = self.store.record_run(report.as_run(started, None, False))

        disk = list(
            walk_images(
                folders,
                exclude=exclude,
                include_hidden=include_hidden,
                on_error=lambda path, why: report.walk_errors.append((path, why)),
            )
        )
        stored = {f.path: f for f in self.store.files_under(folders)}
        failed = {f.path: f for f in self.store.failures(folders)}
        on_disk = {e.path for e in disk}
        run = _Run(self, report, total=len(disk))

        work: list[_Work] = []
        for entry in disk:
            row = stored.get(entry.path)
            known_bad = failed.get(entry.path)
            if row is not None and row.has_vector and _same_file(row, entry):
                run.emit("unchanged", entry.path)
            elif (
                known_bad is not None
                and not retry_failed
                and (known_bad.size, known_bad.mtime_ns) == (entry.size, entry.mtime_ns)
            ):
                run.emit("skipped", entry.path, known_bad.message)
            else:
                work.append(_Work(entry, row))
        run.missing = {p: f for p, f in stored.items() if p not in on_disk}
        run.resolved_failures = [p for p in failed if p not in on_disk]
        run.process(work)
        run.finish()

        report.seconds = time.time() - started
        self.store.record_run(report.as_run(started, time.time(), True), run_id)
        return report


class _Run:
    """The mutable state of one update: what is pending, what vanished, what to emit."""

    def __init__(self, indexer: Indexer, report: IndexReport, total: int) -> None:
        self.indexer = indexer
        self.store = indexer.store
        self.encoder = indexer.encoder
        self.report = report
        self.total = total
        self.done = 0
        self.missing: dict[str, StoredFile] = {}
        self.resolved_failures: list[str] = []
        self._missing_by_digest: dict[str, list[StoredFile]] | None = None

    def emit(self, kind: str, path: str, message: str = "") -> None:
        self.report.counts[kind] += 1
        if kind not in ("removed",):
            self.done += 1
        if self.indexer.on_event is not None:
            self.indexer.on_event(IndexEvent(kind, path, self.done, self.total, message))

    # -- reading files (worker threads) ---------------------------------------------

    def prepare(self, item: _Work) -> _Work:
        entry = item.entry
        try:
            data = self._read_file(entry)
            digest = hashlib.sha256(data).hexdigest()
            needs_model = self._needs_model(item, digest)
            info, item.pixels = self.encoder.read_image(data, name=entry.path, pixels=needs_model)
        except ImageError as exc:
            item.failure = self._failure(entry, exc)
            return item
        item.facts = ImageFacts(
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
        )
        return item

    def _read_file(self, entry: FileEntry) -> bytes:
        limit = self.encoder.decode_options.max_file_bytes
        if limit is not None and entry.size > limit:  # not even read
            raise too_large(entry.size, limit, entry.path)
        try:
            return Path(entry.path).read_bytes()
        except OSError as exc:
            raise ImageUnreadable(
                f"cannot be read ({exc.strerror or exc})", source=entry.path
            ) from None

    @staticmethod
    def _failure(entry: FileEntry, error: ImageError) -> Failure:
        return Failure(entry.path, entry.size, entry.mtime_ns, type(error).__name__, error.reason)

    def _needs_model(self, item: _Work, digest: str) -> bool:
        row = item.stored
        if row is not None and row.digest == digest and row.has_vector:
            return False
        return not (digest in self.missing_digests() or self.store.has_vector_for(digest))

    def missing_digests(self) -> dict[str, list[StoredFile]]:
        if self._missing_by_digest is None:
            grouped: dict[str, list[StoredFile]] = {}
            for row in self.missing.values():
                if row.has_vector:
                    grouped.setdefault(row.digest, []).append(row)
            self._missing_by_digest = grouped
        return self._missing_by_digest

    # -- the main loop ----------------------------------------------------------------

    def process(self, work: list[_Work]) -> None:
        self.missing_digests()  # built before workers read it
        pending: list[_Work] = []
        needing_model = 0
        encoder = self.encoder
        prepared = ordered_map(
            self.prepare, work, workers=encoder.decode_workers, window=encoder.batch_size * 2
        )
        for future in prepared:
            item = future.result()
            pending.append(item)
            # Failures count like images for the model: a write follows every batch of either.
            needing_model += item.pixels is not None or item.failure is not None
            if needing_model >= encoder.batch_size or len(pending) >= _MAX_PENDING:
                self.flush(pending)
                pending, needing_model = [], 0
        self.flush(pending)

    def flush(self, items: list[_Work]) -> None:
        """Embed what needs the model, then write every item in one transaction."""
        if not items:
            return
        fresh: dict[str, NDArray[np.float32]] = {}
        owners: dict[str, _Work] = {}  # the first file of the batch with those bytes
        for item in items:
            if item.pixels is not None and item.facts is not None:
                digest = item.facts.digest
                if digest not in owners and not self.store.has_vector_for(digest):
                    owners[digest] = item
        if owners:
            pixels = np.stack([item.pixels for item in owners.values()])  # type: ignore[misc]
            vectors = self.encoder.embed_pixels(pixels)
            self.report.embedded += len(owners)
            fresh = dict(zip(owners, vectors, strict=True))
        batch = WriteBatch()
        for item in items:
            self._plan(item, fresh, owners, batch)
        self.store.write(batch)
        for item in items:
            self.emit(item.kind, item.entry.path, item.failure.message if item.failure else "")

    def _plan(
        self,
        item: _Work,
        fresh: dict[str, NDArray[np.float32]],
        owners: dict[str, _Work],
        batch: WriteBatch,
    ) -> None:
        row = item.stored
        if item.failure is None and item.facts is not None:
            self._plan_image(item, item.facts, fresh, owners, batch)
        if item.failure is not None:
            item.kind = "failed"
            batch.failures.append(item.failure)
            if len(self.report.failures) < MAX_REPORTED_FAILURES:
                self.report.failures.append(item.failure)
            if row is not None:  # the file went bad: its old vector no longer describes it
                batch.deletes.append(row.id)

    def _plan_image(
        self,
        item: _Work,
        facts: ImageFacts,
        fresh: dict[str, NDArray[np.float32]],
        owners: dict[str, _Work],
        batch: WriteBatch,
    ) -> None:
        row, entry = item.stored, item.entry
        digest = facts.digest
        row_id = row.id if row is not None else None
        batch.resolved.append(entry.path)
        if row is not None and row.digest == digest and row.has_vector:
            item.kind = "touched"
            batch.images.append(ImageWrite(facts, None, id=row_id))
        elif owners.get(digest) is item:
            item.kind = "updated" if row is not None else "added"
            batch.images.append(ImageWrite(facts, fresh[digest], id=row_id))
        elif row is None and (moved_from := self._claim_move(digest)) is not None:
            item.kind = "moved"
            batch.images.append(ImageWrite(facts, None, id=moved_from.id))
        else:
            item.kind = "duplicate"
            vector = fresh.get(digest)
            if vector is None:
                vector = self.store.vector_for(digest)
            if vector is None:  # its twin was deleted by someone else meanwhile
                try:
                    _, pixels = self.encoder.read_image(self._read_file(entry), name=entry.path)
                except ImageError as exc:
                    item.failure = self._failure(entry, exc)
                    return
                assert pixels is not None
                vector = self.encoder.embed_pixels(pixels[None])[0]
                self.report.embedded += 1
            batch.images.append(ImageWrite(facts, vector, id=row_id))

    def _claim_move(self, digest: str) -> StoredFile | None:
        candidates = self.missing_digests().get(digest)
        if not candidates:
            return None
        source = candidates.pop(0)
        del self.missing[source.path]
        return source

    def finish(self) -> None:
        """Remove what vanished from disk and forget failures of vanished files."""
        batch = WriteBatch(
            deletes=[row.id for row in self.missing.values()], resolved=self.resolved_failures
        )
        self.store.write(batch)
        for path in self.missing:
            self.emit("removed", path)


def _same_file(row: StoredFile, entry: FileEntry) -> bool:
    return row.size == entry.size and row.mtime_ns == entry.mtime_ns


def _check_roots(roots: Sequence[str | os.PathLike[str]]) -> list[str]:
    if not roots:
        raise InputError("no folders to index", hint="name at least one folder of images")
    folders = []
    for root in roots:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise InputError(
                f"{path} is not a folder" if path.exists() else f"folder {path} does not exist",
                hint="give folders of images to index",
            )
        folders.append(str(path.resolve()))
    return folders
