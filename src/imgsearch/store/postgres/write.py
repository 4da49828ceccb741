"""Writing a batch to PostgreSQL: pipelined upserts keyed by (collection, path), and the
BM25 terms table computed from the same tokens as the embedded store's FTS5."""

from __future__ import annotations

from typing import Any

import numpy as np

from imgsearch.errors import StoreError
from imgsearch.store.core import FACT_COLUMNS, FACT_NAMES, fact_values
from imgsearch.store.records import ImageFacts, Vector, WriteBatch
from imgsearch.store.region_rows import RegionTable, write_regions
from imgsearch.store.terms import term_counts
from imgsearch.store.text import metadata_text


def write_batch(tx: Any, c: int, batch: WriteBatch, now: float) -> list[int]:
    """One batch in one transaction ``tx`` of collection ``c``: images (ids in batch order),
    deletions, failures recorded and failures resolved."""
    ids = write_images(tx, c, batch, now)
    if batch.deletes:
        tx.execute(
            "DELETE FROM imgsearch_terms WHERE collection_id = %s AND image_id = ANY(%s)",
            (c, list(batch.deletes)),
        )
        tx.execute(
            "DELETE FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s)",
            (c, list(batch.deletes)),
        )
    with tx.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO imgsearch_failures (collection_id, path, size, mtime_ns, code, "
            "message, seen_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (collection_id, path) DO UPDATE SET size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, code = excluded.code, "
            "message = excluded.message, seen_at = excluded.seen_at",
            [
                (c, f.path, f.size, f.mtime_ns, f.code, f.message, f.seen_at or now)
                for f in batch.failures
            ],
        )
    if batch.resolved:
        tx.execute(
            "DELETE FROM imgsearch_failures WHERE collection_id = %s AND path = ANY(%s)",
            (c, list(batch.resolved)),
        )
    write_regions(tx, region_table(c), batch, ids)
    return ids


def region_table(c: int) -> RegionTable:
    """Regions of collection ``c``, as this store keeps them."""
    return RegionTable(
        regions="imgsearch_regions",
        images="imgsearch_images",
        stamps="imgsearch_region_stamps",
        mark="%s",
        encode=lambda vector: np.ascontiguousarray(vector, dtype=np.float32),
        scope={"collection_id": c},
    )


def write_images(tx: Any, c: int, batch: WriteBatch, now: float) -> list[int]:
    """Upsert the batch's images of collection ``c`` with pipelined statements; ids in
    batch order."""
    items = batch.images
    ids: list[int | None] = [None] * len(items)

    def vector(item: Any) -> Any:
        if item.vector is None:
            return None
        return np.ascontiguousarray(item.vector, dtype=np.float32)

    def collect(cursor: Any, positions: list[int]) -> None:
        for position in positions:
            row = cursor.fetchone()
            if row is not None:
                ids[position] = int(row[0])
            cursor.nextset()

    assignments = ", ".join(f"{name} = %s" for name in FACT_NAMES)
    with tx.cursor() as cursor:
        moved = [n for n, item in enumerate(items) if item.id is not None]
        if moved:
            cursor.executemany(
                f"UPDATE imgsearch_images SET {assignments}, indexed_at = %s, "
                "vector = coalesce(%s, vector) WHERE collection_id = %s AND id = %s "
                "RETURNING id",
                [
                    (*fact_values(items[n].facts), now, vector(items[n]), c, items[n].id)
                    for n in moved
                ],
                returning=True,
            )
            collect(cursor, moved)
        fresh = [n for n in range(len(items)) if ids[n] is None]
        if fresh:
            updates = ", ".join(f"{name} = excluded.{name}" for name in FACT_NAMES)
            cursor.executemany(
                f"INSERT INTO imgsearch_images (collection_id, {FACT_COLUMNS}, indexed_at, vector, "
                f"doc_len) VALUES ({', '.join(['%s'] * (len(FACT_NAMES) + 4))}) "
                f"ON CONFLICT (collection_id, path) DO UPDATE SET {updates}, "
                "indexed_at = excluded.indexed_at, "
                "vector = coalesce(excluded.vector, imgsearch_images.vector) RETURNING id",
                [
                    (
                        c,
                        *fact_values(items[n].facts),
                        now,
                        vector(items[n]),
                        _length(items[n].facts),
                    )
                    for n in fresh
                ],
                returning=True,
            )
            collect(cursor, fresh)
    written = [int(i) for i in ids if i is not None]
    if len(written) != len(items):
        raise StoreError("an image row could not be written")
    write_terms(tx, c, written)
    return written


def write_terms(tx: Any, c: int, image_ids: list[int]) -> None:
    """Recompute the BM25 terms (and document lengths) of ``image_ids`` in collection ``c``."""
    if not image_ids:
        return
    rows = tx.execute(
        "SELECT id, path, camera, caption, tags FROM imgsearch_images "
        "WHERE collection_id = %s AND id = ANY(%s)",
        (c, image_ids),
    ).fetchall()
    tx.execute(
        "DELETE FROM imgsearch_terms WHERE collection_id = %s AND image_id = ANY(%s)",
        (c, image_ids),
    )
    lengths: list[tuple[int, int]] = []
    with (
        tx.cursor() as cursor,
        cursor.copy(
            "COPY imgsearch_terms (collection_id, image_id, term, tf, doc_len) FROM STDIN"
        ) as copy,
    ):
        for image_id, path, camera, caption, tags in rows:
            body = metadata_text(path, camera=camera, caption=caption, tags=tags or [])
            counts, length = term_counts(body)
            lengths.append((image_id, length))
            for term, tf in counts.items():
                copy.write_row((c, image_id, term, tf, length))
    tx.execute(
        "UPDATE imgsearch_images SET doc_len = u.length "
        "FROM unnest(%s::bigint[], %s::integer[]) AS u(id, length) "
        "WHERE imgsearch_images.collection_id = %s AND imgsearch_images.id = u.id "
        # a new row version costs an HNSW insert: touch only rows whose length changed
        "AND imgsearch_images.doc_len IS DISTINCT FROM u.length",
        ([i for i, _ in lengths], [n for _, n in lengths], c),
    )


def _length(facts: ImageFacts) -> int:
    """Token count of a new image's metadata (no caption or tags yet)."""
    return term_counts(metadata_text(facts.path, camera=facts.camera))[1]


def as_vector(value: Any) -> Vector:
    """pgvector's adapter returns ``Vector`` objects (newer) or arrays (older)."""
    array = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(array, dtype=np.float32)
