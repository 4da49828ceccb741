"""The PostgreSQL store's automatic tags: each picture's as one ``jsonb`` object (tag →
confidence) in ``imgsearch_images.auto_tags``, NULL while it is not tagged yet — its
:class:`~imgsearch.store.base.AutoTags` part (``store.auto_tags``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from psycopg.types.json import Jsonb


class PostgresAutoTags:
    """See :class:`imgsearch.store.base.AutoTags` for what each method promises."""

    def __init__(
        self,
        collection_id: int,
        rows: Callable[..., list[Any]],
        transaction: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self._c = collection_id
        self._rows = rows
        self._transaction = transaction

    def untagged(self, limit: int) -> list[int]:
        found = self._rows(
            "SELECT id FROM imgsearch_images WHERE collection_id = %s AND vector IS NOT NULL "
            "AND auto_tags IS NULL ORDER BY id LIMIT %s",
            (self._c, limit),
        )
        return [int(image_id) for (image_id,) in found]

    def write(self, tagged: Mapping[int, Mapping[str, float]]) -> None:
        rows = [(Jsonb(dict(tags)), self._c, int(image_id)) for image_id, tags in tagged.items()]
        with self._transaction() as tx, tx.cursor() as cursor:
            cursor.executemany(
                "UPDATE imgsearch_images SET auto_tags = %s WHERE collection_id = %s AND id = %s",
                rows,
            )

    def reset(self) -> int:
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE imgsearch_images SET auto_tags = NULL "
                "WHERE collection_id = %s AND auto_tags IS NOT NULL",
                (self._c,),
            )
            return int(cursor.rowcount)

    def of(self, ids: Sequence[int]) -> dict[int, dict[str, float]]:
        found = self._rows(
            "SELECT id, auto_tags FROM imgsearch_images WHERE collection_id = %s "
            "AND auto_tags IS NOT NULL AND id = ANY(%s)",
            (self._c, [int(i) for i in ids]),
        )
        return {int(image_id): dict(tags) for image_id, tags in found}

    def progress(self) -> tuple[int, int]:
        ((tagged, total),) = self._rows(
            "SELECT count(auto_tags), count(*) FROM imgsearch_images "
            "WHERE collection_id = %s AND vector IS NOT NULL",
            (self._c,),
        )
        return int(tagged), int(total)
