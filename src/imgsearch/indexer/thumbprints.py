"""Thumbprints for pictures indexed before thumbprints were stored.

An index made by an older imgsearch has vectors but no thumbprints, and near-duplicates
would be judged by their vectors alone. The next ``imgsearch index`` fills them in for
files that are still there unchanged: each is read and turned into model input, but the
model is not run (a fraction of the cost of embedding). Batches are written as they are
done, so a killed run keeps what it finished and the next one does the rest. A file that
cannot be read now is left as it was: its vector stays, it just has no thumbprint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from imgsearch.duplicates.thumbprint import thumbprint
from imgsearch.errors import ImageError
from imgsearch.kinds import MediaKinds
from imgsearch.models.images import ImagePipeline
from imgsearch.store import Store, StoredFile

BATCH = 256  # thumbprints written per transaction


def missing_thumbprints(
    rows: Sequence[StoredFile], unchanged: set[str], kinds: MediaKinds
) -> list[StoredFile]:
    """The still pictures among ``rows`` that have a vector but no thumbprint and are
    unchanged on disk (a changed file is embedded again anyway, and gets one then)."""
    return [
        row
        for row in rows
        if row.has_vector and not row.has_thumbprint and row.path in unchanged
        and kinds.of_file(row.path).part is None
    ]  # fmt: skip


def _read(row: StoredFile, images: ImagePipeline) -> bytes | None:
    limit = images.decode_options.max_file_bytes
    try:
        if limit is not None and row.size > limit:
            return None
        _, pixels = images.read_image(Path(row.path).read_bytes(), name=row.path)
    except (ImageError, OSError):
        return None
    return None if pixels is None else thumbprint(pixels)


def add_thumbprints(store: Store, images: ImagePipeline, rows: Sequence[StoredFile]) -> int:
    """Read ``rows`` and store their thumbprints; how many were added."""
    added = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        found = images.read_ahead(lambda row: _read(row, images), chunk)
        prints = {
            row.id: packed
            for row, future in zip(chunk, found, strict=True)
            if (packed := future.result()) is not None
        }
        store.set_thumbprints(prints)
        added += len(prints)
    return added
