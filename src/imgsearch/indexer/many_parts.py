"""Many-part items in an index run — videos, PDFs: an item whose parts (kept frames,
pages) are each embedded (:mod:`imgsearch.kinds`).

Such an item is read in two steps. On a decode worker, like an image, its bytes are
hashed (streamed: the file is never held in memory) and its kind reads the facts the
store keeps (a video's duration and codec, a PDF's page count …). Only when no stored row
can serve — not unchanged, not moved — are its parts read and embedded, batch by batch
through the image pipeline, so memory holds a few batches whatever the item's length; a
part the model sees as the last one kept (cosine ≥ the kind's ``same_above``) is dropped.
The item's row and every kept part (a region of the kind's part source) are then written
in **one transaction**: the item is in the index whole or not at all, and a run killed
midway redoes it from the start.

The item's own vector (what "find similar" to the whole item and whole-item search use)
is the normalised mean of its parts' vectors. The text the file itself carries (a PDF's
text layer, each line with its page) is written with it as its read text, under
:data:`TEXT_LAYER_STAMP`; a text layer that cannot be read leaves a warning, not a failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from imgsearch.errors import ImageError, ImageUnreadable
from imgsearch.indexer.read_text import TextRead, TextReading, TextReport
from imgsearch.indexer.report import EventKind
from imgsearch.indexer.steps import Candidate, Moves, Outcome, Read, failure_of
from imgsearch.kinds import MediaKind, MediaKinds
from imgsearch.models.encoder import Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.ocr.reader import OcrFailed
from imgsearch.store import ImageFacts, ImageWrite, Region, Store, TextSet, WriteBatch

CHUNK = 1 << 20
TEXT_LAYER_STAMP = "text-layer/1"
"""The stamp of text read from a file's own text layer (not by a reader: no OCR settings)."""


def parts_stamp(reading: TextReading | None) -> str:
    """The stamp of a many-part item's text: its text layer, and the reader's settings when
    a reader read the parts without one (an item stamped otherwise is read again)."""
    return TEXT_LAYER_STAMP if reading is None else f"{TEXT_LAYER_STAMP}+{reading.stamp}"


def read_many_parts(candidate: Candidate, kind: MediaKind) -> Read:
    """The facts of an item of ``kind`` (hash streamed, the kind's facts), or why it is a
    bad one."""
    entry = candidate.entry
    try:
        facts = ImageFacts(entry.path, entry.size, entry.mtime_ns, _hash(entry.path))
        facts = kind.read_facts(entry.path, facts)
    except ImageError as exc:
        return Read(candidate, failure=failure_of(entry, exc))
    return Read(candidate, facts, kind=kind)


def _hash(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImageUnreadable(f"cannot be read ({exc.strerror or exc})", source=path) from None
    return digest.hexdigest()


def reuse(item: Read, moves: Moves) -> Outcome | None:
    """What a many-part read becomes without reading a part — failed, touched (same
    bytes, its row keeps vector and parts) or moved (a vanished row with these bytes
    keeps its id, vector and parts) — or None: its parts must be embedded."""
    row = item.candidate.stored
    if item.failure is not None or item.facts is None:
        assert item.failure is not None
        return Outcome("failed", failure=item.failure, delete=row.id if row else None)
    digest = item.facts.digest
    if row is not None and row.digest == digest and row.has_vector:
        return Outcome("touched", ImageWrite(item.facts, None, id=row.id))
    if row is None and (moved_from := moves.claim(digest)) is not None:
        return Outcome("moved", ImageWrite(item.facts, None, id=moved_from.id))
    return None


def embed_parts(item: Read, images: ImagePipeline, reading: TextReading | None = None) -> Outcome:
    """Read and embed the item's parts: an outcome that writes the item with its parts
    (``added`` / ``updated``), or ``failed`` when it goes bad midway or changes on disk
    meanwhile. With ``reading`` (``--ocr``), the parts of a kind that reads them and carry
    no text of their own (scanned pages) are read too."""
    assert item.facts is not None and item.kind is not None
    entry, row, kind = item.candidate.entry, item.candidate.stored, item.kind
    try:
        parts, vectors = _parts_and_vectors(entry.path, images, kind)
        stat = Path(entry.path).stat()
        if (stat.st_size, stat.st_mtime_ns) != (entry.size, entry.mtime_ns):
            raise ImageUnreadable("changed while it was being indexed", source=entry.path)
    except ImageError as exc:
        return Outcome("failed", failure=failure_of(entry, exc), delete=row.id if row else None)
    except OSError as exc:
        error = ImageUnreadable(f"cannot be read ({exc.strerror or exc})", source=entry.path)
        return Outcome("failed", failure=failure_of(entry, error), delete=row.id if row else None)
    embedded = len(parts)
    parts, vectors = _distinct(parts, vectors, kind.same_above)
    try:
        text = TextRead(kind.text_layer(entry.path))
    except ImageError as exc:
        text = TextRead([], warning=exc.reason)
    if reading is not None and kind.read_parts:
        text = _read_parts(entry.path, kind, parts, text, reading)
    whole = vectors.mean(axis=0)
    whole /= max(float(np.linalg.norm(whole)), 1e-12)
    outcome: EventKind = "updated" if row is not None else "added"
    return Outcome(
        outcome,
        ImageWrite(item.facts, whole.astype(np.float32), id=row.id if row else None),
        embedded=embedded,
        parts=list(zip(parts, vectors, strict=True)),
        text_layer=text,
    )


def _read_parts(
    path: str, kind: MediaKind, parts: list[Region], text: TextRead, reading: TextReading
) -> TextRead:
    """``text`` with the lines OCR reads in each part that has none of its own, each
    line tagged with its part's number; the first failure is kept as the warning."""
    reader, lines, warning = reading.reader, list(text.lines), text.warning
    have = {line.page for line in lines}
    for part in parts:
        if part.frame in have:
            continue
        try:
            image, size = kind.part_image(path, part, reader.max_side)
            rgb = np.asarray(image)
            if reader.looks_like_text(rgb):
                found = reader.read(rgb, size, look=False)
                lines += [replace(line, page=part.frame) for line in found]
        except ImageError as exc:
            warning = warning or exc.reason
        except OcrFailed as exc:
            warning = warning or exc.message
    return TextRead(lines, warning)


def _parts_and_vectors(
    path: str, images: ImagePipeline, kind: MediaKind
) -> tuple[list[Region], Vectors]:
    regions: list[Region] = []
    vectors: list[Vectors] = []
    for batch_regions, pixels in kind.parts(path, images):
        regions += batch_regions
        vectors.append(images.embed(pixels))
    if not regions:
        raise ImageUnreadable(f"holds no {kind.part} that can be read", source=path)
    return regions, np.concatenate(vectors)


def _distinct(
    parts: list[Region], vectors: Vectors, same_above: float
) -> tuple[list[Region], Vectors]:
    """The parts whose vector differs from the last one kept (cosine below
    ``same_above``; 1 keeps all): the first always stays, so an item keeps one part."""
    if same_above >= 1:
        return parts, vectors
    keep = [0]
    for n in range(1, len(parts)):
        if float(vectors[n] @ vectors[keep[-1]]) < same_above:
            keep.append(n)
    return [parts[n] for n in keep], vectors[keep]


def read_missing_part_text(
    store: Store,
    kinds: MediaKinds,
    reading: TextReading,
    roots: Sequence[str],
    *,
    select: Callable[[str], bool] | None = None,
) -> TextReport:
    """Read the parts of the many-part items under ``roots`` (those ``select`` accepts)
    whose text was not read with ``reading`` — items indexed before text was read, or
    with other reader settings: their text layer again, and each part without one through
    the reader. An item that changed or vanished since it was indexed is left for the next
    run. Written an item at a time: a killed run keeps what it read."""
    report = TextReport()
    stamp = parts_stamp(reading)
    for kind in (k for k in kinds.all if k.read_parts and k.part):
        for stored in store.texts.unread(stamp, roots, kind=kind.name):
            if select is not None and not select(stored.path):
                continue
            try:
                if _hash(stored.path) != stored.digest:
                    continue
                layer = TextRead(kind.text_layer(stored.path))
            except ImageError as exc:
                layer = TextRead([], warning=exc.reason)
            parts = [
                r.region for r in store.regions.of([stored.id]) if r.region.source == kind.part
            ]
            text = _read_parts(stored.path, kind, parts, layer, reading)
            report.count(text)
            found = TextSet(
                text.lines, stamp, stored.digest, image_id=stored.id, warning=text.warning
            )
            store.write(WriteBatch(texts=[found]))
    return report
