"""The :class:`Indexer`: runs the steps of :mod:`imgsearch.indexer.steps` over folders.

Decoding runs in a thread pool ahead of the model; every batch is embedded and written
in one transaction, in path order, so killing the process at any moment loses only the
batch in flight. A many-part item (a video, a PDF) is written alone, with all its parts,
in one transaction (:mod:`imgsearch.indexer.many_parts`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from imgsearch.duplicates.thumbprint import thumbprint
from imgsearch.errors import InputError
from imgsearch.indexer.many_parts import embed_parts, parts_stamp, read_many_parts, reuse
from imgsearch.indexer.parts import Part
from imgsearch.indexer.read_text import TextReading
from imgsearch.indexer.report import EventKind, IndexEvent, IndexReport
from imgsearch.indexer.steps import (
    Candidate,
    Moves,
    Outcome,
    Read,
    decide,
    plan,
    read,
    read_file,
)
from imgsearch.indexer.thumbprints import add_thumbprints, missing_thumbprints
from imgsearch.kinds import MediaKinds
from imgsearch.media.walk import FileEntry, walk_images
from imgsearch.models.encoder import Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.store import IndexSettings, RegionSet, Store, TextSet, WriteBatch

MAX_PENDING = 256
"""Files waiting for one write, when few of them need the model (moves, touched files)."""


class Indexer:
    """Syncs one store with folders using one model, read through ``images``. Reusable
    across runs."""

    def __init__(
        self,
        store: Store,
        images: ImagePipeline,
        *,
        on_event: Callable[[IndexEvent], None] | None = None,
        source: str | None = None,
        kinds: MediaKinds | None = None,
        text: TextReading | None = None,
    ) -> None:
        self.store = store
        self.images = images
        self.encoder = images.encoder
        self.on_event = on_event
        self.source = source or images.encoder.source
        self.kinds = kinds or MediaKinds()
        """How each kind of file is recognised and read (videos' frame policy and limits …)."""
        self.text = text
        """Read the text in the images the model sees (OCR), with their batch."""

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
        part: Part | None = None,
    ) -> IndexReport:
        """Bring the index in step with ``roots`` (only ``part``'s files of them, when
        given: see :mod:`imgsearch.indexer.parts`); returns what happened."""
        folders = _check_roots(roots)
        mine = part.selector(folders) if part is not None else (lambda path: True)
        self.bind(reembed=reembed)
        started = time.time()
        report = IndexReport(roots=tuple(folders))
        run_id = self.store.record_run(report.as_run(started, None, False))
        walked = walk_images(
            folders,
            exclude=exclude,
            include_hidden=include_hidden,
            on_error=lambda path, why: report.walk_errors.append((path, why)),
            extensions=self.kinds.extensions,
        )
        disk = [entry for entry in walked if mine(entry.path)]
        stored = [f for f in self.store.files_under(folders) if mine(f.path)]
        todo = plan(
            disk,
            {f.path: f for f in stored},
            {f.path: f for f in self.store.failures(folders) if mine(f.path)},
            retry_failed=retry_failed,
        )
        progress = _Progress(
            self.on_event,
            report,
            len(disk),
            record=lambda: self.store.record_run(report.as_run(started, None, False), run_id),
        )
        for path in todo.unchanged:
            progress.emit("unchanged", path)
        for path, why in todo.skipped:
            progress.emit("skipped", path, why)
        moves = Moves(todo.vanished)
        self._read_and_write(todo.candidates, moves, report, progress)
        gone = moves.unclaimed()  # after moves were matched
        self.store.write(WriteBatch(deletes=[row.id for row in gone], resolved=list(todo.resolved)))
        for row in gone:
            progress.emit("removed", row.path)
        older = missing_thumbprints(stored, set(todo.unchanged), self.kinds)
        report.thumbprinted = add_thumbprints(self.store, self.images, older) if older else 0
        report.seconds = time.time() - started
        self.store.record_run(report.as_run(started, time.time(), True), run_id)
        return report

    def _read_and_write(
        self,
        candidates: Sequence[Candidate],
        moves: Moves,
        report: IndexReport,
        progress: _Progress,
    ) -> None:
        images = self.images

        def known(digest: str) -> bool:
            return moves.knows(digest) or self.store.has_vector_for(digest)

        def read_any(candidate: Candidate) -> Read:
            kind = self.kinds.of_file(candidate.entry.path)
            if kind.part is not None:
                return read_many_parts(candidate, kind)
            return read(candidate, images, known, self.text)

        pending: list[Read] = []
        weight = 0
        reads = images.read_ahead(read_any, candidates)
        for future in reads:
            item = future.result()
            if item.kind is not None:  # alone, in its own transaction, after the images before
                self._write(pending, moves, report, progress)
                pending, weight = [], 0
                self._write_many_parts(item, moves, report, progress)
                continue
            pending.append(item)
            # failures count like images for the model: a write follows every batch of either
            weight += item.pixels is not None or item.failure is not None
            if weight >= images.batch_size or len(pending) >= MAX_PENDING:
                self._write(pending, moves, report, progress)
                pending, weight = [], 0
        self._write(pending, moves, report, progress)

    def _write(
        self, items: list[Read], moves: Moves, report: IndexReport, progress: _Progress
    ) -> None:
        """Embed what needs the model, then write every item in one transaction."""
        if not items:
            return
        owners: dict[str, Read] = {}  # the first file of the batch with those bytes
        for item in items:
            if item.pixels is not None and item.facts is not None:
                digest = item.facts.digest
                if digest not in owners and not self.store.has_vector_for(digest):
                    owners[digest] = item
        fresh: dict[str, Vectors] = {}
        if owners:
            pixels = [item.pixels for item in owners.values() if item.pixels is not None]
            fresh = dict(zip(owners, self.images.embed(pixels), strict=True))
            report.embedded += len(owners)
        outcomes = [
            decide(
                item,
                fresh,
                item.facts is not None and owners.get(item.facts.digest) is item,
                moves,
                self.store.vector_for,
                self._embed_again,
            )
            for item in items
        ]
        outcomes = [
            with_thumbprint(item, outcome) for item, outcome in zip(items, outcomes, strict=True)
        ]
        self.store.write(_batch(items, outcomes, report, self.text))
        for item, outcome in zip(items, outcomes, strict=True):
            why = outcome.failure.message if outcome.failure else ""
            progress.emit(outcome.kind, item.candidate.entry.path, why)
        progress.committed()

    def _write_many_parts(
        self, item: Read, moves: Moves, report: IndexReport, progress: _Progress
    ) -> None:
        outcome = reuse(item, moves) or embed_parts(item, self.images, self.text)
        self.store.write(_batch([item], [outcome], report, self.text))
        why = outcome.failure.message if outcome.failure else ""
        progress.emit(outcome.kind, item.candidate.entry.path, why)
        progress.committed()

    def _embed_again(self, entry: FileEntry) -> Vectors:
        _, pixels = self.images.read_image(read_file(entry, self.images), name=entry.path)
        assert pixels is not None
        vector: Vectors = self.images.embed([pixels])[0]
        return vector


def with_thumbprint(item: Read, outcome: Outcome) -> Outcome:
    """A write that brings a new vector also brings the picture's thumbprint, from the model
    input already read (none when the bytes were known: the twin's serves)."""
    write = outcome.write
    if write is None or write.vector is None or item.pixels is None:
        return outcome
    return replace(outcome, write=replace(write, thumbprint=thumbprint(item.pixels)))


def _batch(
    items: list[Read],
    outcomes: list[Outcome],
    report: IndexReport,
    reading: TextReading | None = None,
) -> WriteBatch:
    batch = WriteBatch()
    for item, outcome in zip(items, outcomes, strict=True):
        report.embedded += outcome.embedded
        if outcome.write is not None:
            batch.images.append(outcome.write)
            batch.resolved.append(item.candidate.entry.path)
            index = len(batch.images) - 1
            if outcome.parts is not None and item.kind is not None and item.kind.part:
                batch.regions.append(RegionSet(item.kind.part, outcome.parts, image_index=index))
            if outcome.text_layer is not None and item.facts is not None:
                layer = outcome.text_layer
                batch.texts.append(
                    TextSet(
                        layer.lines,
                        parts_stamp(reading if item.kind and item.kind.read_parts else None),
                        item.facts.digest,
                        image_index=index,
                        warning=layer.warning,
                    )
                )
            if item.text is not None and reading is not None and item.facts is not None:
                text = item.text
                batch.texts.append(
                    TextSet(
                        text.lines,
                        reading.stamp,
                        item.facts.digest,
                        image_index=index,
                        warning=text.warning,
                    )
                )
                report.text.count(text)
        if outcome.failure is not None:
            batch.failures.append(outcome.failure)
            report.record_failure(outcome.failure)
        if outcome.delete is not None:  # the file went bad: its old vector no longer fits
            batch.deletes.append(outcome.delete)
    return batch


RECORD_EVERY_S = 2.0
"""How often a run's record is brought up to date with what it has committed: a run that
is killed leaves counts at most this old (``imgsearch status``: "interrupted: added 1,600",
not "added 0")."""


class _Progress:
    """Counts outcomes into the report and tells the caller, ``done`` of ``total``; keeps
    the run's record in step with the batches committed (``record``)."""

    def __init__(
        self,
        callback: Callable[[IndexEvent], None] | None,
        report: IndexReport,
        total: int,
        record: Callable[[], object] | None = None,
    ) -> None:
        self.callback = callback
        self.report = report
        self.total = total
        self.done = 0
        self.record = record
        self.recorded_at = time.monotonic()

    def committed(self) -> None:
        """A batch was committed: record the counts so far, every :data:`RECORD_EVERY_S`."""
        if self.record is not None and time.monotonic() - self.recorded_at >= RECORD_EVERY_S:
            self.record()
            self.recorded_at = time.monotonic()

    def emit(self, kind: EventKind, path: str, message: str = "") -> None:
        self.report.counts[kind] += 1
        if kind != "removed":
            self.done += 1
        if self.callback is not None:
            self.callback(IndexEvent(kind, path, self.done, self.total, message))


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
