"""The embedded store's automatic tags: each picture's as one JSON object (tag →
confidence) in ``images.auto_tags``, NULL while it is not tagged yet — its
:class:`~imgsearch.store.base.AutoTags` part (``store.auto_tags``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

from imgsearch.store.sqlite.write import CHUNK


class SqliteAutoTags:
    """See :class:`imgsearch.store.base.AutoTags` for what each method promises; reads on
    the store's reader, writes in its transactions."""

    def __init__(
        self,
        reader: Callable[[], sqlite3.Connection],
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    ) -> None:
        self._reader = reader
        self._transaction = transaction

    def untagged(self, limit: int) -> list[int]:
        rows = self._reader().execute(
            "SELECT id FROM images WHERE vector IS NOT NULL AND auto_tags IS NULL "
            "ORDER BY id LIMIT ?",
            (limit,),
        )
        return [int(image_id) for (image_id,) in rows]

    def write(self, tagged: Mapping[int, Mapping[str, float]]) -> None:
        rows = [(json.dumps(dict(tags)), int(image_id)) for image_id, tags in tagged.items()]
        with self._transaction() as tx:
            tx.executemany("UPDATE images SET auto_tags = ? WHERE id = ?", rows)

    def reset(self) -> int:
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE images SET auto_tags = NULL WHERE auto_tags IS NOT NULL"
            ).rowcount

    def of(self, ids: Sequence[int]) -> dict[int, dict[str, float]]:
        found: dict[int, dict[str, float]] = {}
        wanted = [int(i) for i in ids]
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = self._reader().execute(
                f"SELECT id, auto_tags FROM images WHERE auto_tags IS NOT NULL "
                f"AND id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((int(image_id), json.loads(tags)) for image_id, tags in rows)
        return found

    def progress(self) -> tuple[int, int]:
        tagged, total = (
            self._reader()
            .execute("SELECT count(auto_tags), count(*) FROM images WHERE vector IS NOT NULL")
            .fetchone()
        )
        return int(tagged), int(total)
