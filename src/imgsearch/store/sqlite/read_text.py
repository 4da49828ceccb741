"""The embedded store's text read in images (OCR): the lines of hits, the images still to
read, counts — its :class:`~imgsearch.store.base.ReadTexts` part (``store.texts``).

Only a row whose ``digest`` is its image's current one counts: text read from bytes the
image no longer holds is ignored until the image is read again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from imgsearch.store import core, records
from imgsearch.store.sqlite.queries import SQLITE
from imgsearch.store.sqlite.write import CHUNK
from imgsearch.store.words import lines_from_json
from imgsearch.types import TextLine

CURRENT = "t.image_id = images.id AND t.digest = images.digest"
"""The join condition of an image and its current text."""


class SqliteTexts:
    """See :class:`imgsearch.store.base.ReadTexts` for what each method promises; reads
    on the store's reader (text is written with the store's batches)."""

    def __init__(self, reader: Callable[[], sqlite3.Connection]) -> None:
        self._reader = reader

    def lines(self, ids: Sequence[int]) -> dict[int, list[TextLine]]:
        found: dict[int, list[TextLine]] = {}
        wanted = [int(i) for i in ids]
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = self._reader().execute(
                f"SELECT images.id, t.lines FROM images JOIN image_text t ON {CURRENT} "
                f"WHERE images.id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((int(image_id), lines_from_json(lines)) for image_id, lines in rows)
        return found

    def unread(
        self, stamp: str, roots: Sequence[str], kind: str = "image"
    ) -> list[records.StoredFile]:
        clause, params = core.under_clause(roots, SQLITE, "images")
        rows = (
            self._reader()
            .execute(
                "SELECT images.id, path, size, mtime_ns, images.digest, width, height FROM images "
                f"LEFT JOIN image_text t ON {CURRENT} AND t.stamp = ? "
                "WHERE t.image_id IS NULL AND images.vector IS NOT NULL "
                f"AND images.kind = ? AND {clause} ORDER BY path",
                (stamp, kind, *params),
            )
            .fetchall()
        )
        return [records.StoredFile(r[0], r[1], r[2], r[3], r[4], True, r[5], r[6]) for r in rows]

    def counts(self) -> tuple[int, int, int]:
        read, with_text, warned = (
            self._reader()
            .execute(
                "SELECT count(*), count(nullif(t.body, '')), count(t.warning) FROM images "
                f"JOIN image_text t ON {CURRENT}"
            )
            .fetchone()
        )
        return int(read), int(with_text), int(warned)

    def warnings(self, limit: int = 1000) -> list[tuple[str, str]]:
        rows = (
            self._reader()
            .execute(
                f"SELECT images.path, t.warning FROM images JOIN image_text t ON {CURRENT} "
                "WHERE t.warning IS NOT NULL ORDER BY images.path LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [(str(path), str(why)) for path, why in rows]
