"""The PostgreSQL store's text read in images (OCR): writing it with a batch, the lines of
hits, the images still to read: the store's :class:`~imgsearch.store.base.ReadTexts` part
(``store.texts``).

As in the embedded store, only a row whose ``digest`` is its image's current one counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from imgsearch.store import core, records
from imgsearch.store.postgres.dialect import POSTGRES
from imgsearch.store.words import folded_lines, lines_from_json, lines_to_json, read_text
from imgsearch.types import TextLine

CURRENT = "t.collection_id = i.collection_id AND t.image_id = i.id AND t.digest = i.digest"
"""The join condition of an image (``i``) and its current text (``t``)."""


def write_texts(tx: Any, c: int, batch: records.WriteBatch, ids: list[int]) -> list[int]:
    """Store the batch's read text in collection ``c`` (each only while its image still
    holds the bytes it was read from); the ids of the images whose text was written."""
    wanted = {
        (ids[t.image_index] if t.image_index is not None else int(t.image_id or 0)): t
        for t in batch.texts
    }
    if not wanted:
        return []
    current = dict(
        tx.execute(
            "SELECT id, digest FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s)",
            (c, list(wanted)),
        ).fetchall()
    )
    rows = [
        (
            c,
            image_id,
            text.digest,
            text.stamp,
            lines_to_json(text.lines),
            read_text(text.lines),
            folded_lines(text.lines),
            text.warning,
        )
        for image_id, text in wanted.items()
        if current.get(image_id) == text.digest
    ]
    with tx.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO imgsearch_image_text (collection_id, image_id, digest, stamp, lines, "
            "body, folded, warning) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (collection_id, image_id) DO UPDATE SET digest = excluded.digest, "
            "stamp = excluded.stamp, lines = excluded.lines, body = excluded.body, "
            "folded = excluded.folded, warning = excluded.warning",
            rows,
        )
    return [row[1] for row in rows]


class PostgresTexts:
    """See :class:`imgsearch.store.base.ReadTexts` for what each method promises; reads
    collection ``collection_id`` through the store's ``rows`` (text is written with the
    store's batches: :func:`write_texts`)."""

    def __init__(self, collection_id: int, rows: Callable[[str, Sequence[Any]], list[Any]]) -> None:
        self._collection_id = collection_id
        self._rows = rows

    def lines(self, ids: Sequence[int]) -> dict[int, list[TextLine]]:
        wanted = [int(i) for i in ids if 0 < int(i) < 2**63]
        rows = self._rows(
            f"SELECT i.id, t.lines FROM imgsearch_images i JOIN imgsearch_image_text t ON {CURRENT} "
            "WHERE i.collection_id = %s AND i.id = ANY(%s)",
            (self._collection_id, wanted),
        )
        return {int(image_id): lines_from_json(lines) for image_id, lines in rows}

    def unread(
        self, stamp: str, roots: Sequence[str], kind: str = "image"
    ) -> list[records.StoredFile]:
        clause, params = core.under_clause(roots, POSTGRES, "i")
        rows = self._rows(
            "SELECT i.id, i.path, i.size, i.mtime_ns, i.digest, i.width, i.height "
            f"FROM imgsearch_images i LEFT JOIN imgsearch_image_text t ON {CURRENT} "
            "AND t.stamp = %s WHERE i.collection_id = %s AND t.image_id IS NULL "
            "AND i.vector IS NOT NULL AND i.kind = %s "
            f'AND {clause} ORDER BY i.path COLLATE "C"',
            [stamp, self._collection_id, kind, *params],
        )
        return [records.StoredFile(r[0], r[1], r[2], r[3], r[4], True, r[5], r[6]) for r in rows]

    def counts(self) -> tuple[int, int, int]:
        read, with_text, warned = self._rows(
            "SELECT count(*), count(nullif(t.body, '')), count(t.warning) "
            f"FROM imgsearch_images i JOIN imgsearch_image_text t ON {CURRENT} "
            "WHERE i.collection_id = %s",
            (self._collection_id,),
        )[0]
        return int(read), int(with_text), int(warned)

    def warnings(self, limit: int = 1000) -> list[tuple[str, str]]:
        rows = self._rows(
            f"SELECT i.path, t.warning FROM imgsearch_images i JOIN imgsearch_image_text t "
            f"ON {CURRENT} WHERE i.collection_id = %s AND t.warning IS NOT NULL "
            'ORDER BY i.path COLLATE "C" LIMIT %s',
            (self._collection_id, limit),
        )
        return [(str(path), str(why)) for path, why in rows]
