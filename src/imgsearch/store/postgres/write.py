"""Writing a batch to PostgreSQL: pipelined upserts keyed by (collection, path) — on plain
PostgreSQL and on a Citus cluster alike — and the BM25 terms table computed from the same
tokens as the embedded store's FTS5."""

from __future__ import annotations

from typing import Any

import numpy as np

from imgsearch.errors import StoreError
from imgsearch.media.archive import archive_words
from imgsearch.store.core import FACT_NAMES, fact_values
from imgsearch.store.postgres.read_text import CURRENT, write_texts
from imgsearch.store.postgres.terms import term_counts
from imgsearch.store.records import Vector, WriteBatch
from imgsearch.store.region_rows import RegionTable, write_regions
from imgsearch.store.words import metadata_text

FACT_TYPES = {
    "path": "text", "size": "int8", "mtime_ns": "int8", "digest": "text", "width": "int4",
    "height": "int4", "format": "text", "captured_at": "float8", "camera": "text",
    "latitude": "float8", "longitude": "float8", "duration": "float8", "fps": "float8",
    "codec": "text", "frame_count": "int8", "kind": "text", "archive": "text",
    "sidecar_mtime_ns": "int8",
}  # fmt: skip
COPY_COLUMNS = ("collection_id", "id", *FACT_NAMES, "indexed_at", "vector", "doc_len", "thumbprint")
"""The columns a new image row is copied with (binary COPY), and their types:"""
COPY_TYPES = [
    "int4",
    "int8",
    *(FACT_TYPES[name] for name in FACT_NAMES),
    "float8",
    "vector",
    "int4",
    "bytea",
]


def write_batch(tx: Any, c: int, batch: WriteBatch, now: float) -> list[int]:
    """One batch in one transaction ``tx`` of collection ``c``: images (ids in batch order),
    deletions, failures recorded and failures resolved."""
    ids = write_images(tx, c, batch, now)
    if batch.deletes:
        for table in ("imgsearch_terms", "imgsearch_image_text"):
            tx.execute(
                f"DELETE FROM {table} WHERE collection_id = %s AND image_id = ANY(%s)",
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
    if batch.texts:
        write_terms(tx, c, write_texts(tx, c, batch, ids))
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
    batch order.

    Paths stay unique without relying on a unique constraint (a Citus cluster cannot keep
    one on a table distributed by image id): the batch's paths are locked first (an
    advisory lock each, taken in one order by every writer), then the images stored at
    them are updated in place by id and only the others inserted.
    """
    items = batch.images
    ids: list[int | None] = [item.id for item in items]
    lock_paths(tx, c, [item.facts.path for item in items])
    unknown = [item.facts.path for item, known in zip(items, ids, strict=True) if known is None]
    if unknown:
        stored = dict(
            tx.execute(
                "SELECT path, id FROM imgsearch_images WHERE collection_id = %s AND path = ANY(%s)",
                (c, unknown),
            ).fetchall()
        )
        ids = [
            stored.get(item.facts.path) if known is None else known
            for item, known in zip(items, ids, strict=True)
        ]

    def vector(item: Any) -> Any:
        if item.vector is None:
            return None
        return np.ascontiguousarray(item.vector, dtype=np.float32)

    def collect(cursor: Any, positions: list[int]) -> list[int | None]:
        found: list[int | None] = []
        for _ in positions:
            row = cursor.fetchone()
            found.append(None if row is None else int(row[0]))
            cursor.nextset()
        return found

    assignments = ", ".join(f"{name} = %s" for name in FACT_NAMES)
    with tx.cursor() as cursor:
        stored_at = [n for n, known in enumerate(ids) if known is not None]
        if stored_at:
            cursor.executemany(
                f"UPDATE imgsearch_images SET {assignments}, indexed_at = %s, "
                "vector = coalesce(%s, vector), "
                "thumbprint = CASE WHEN %s THEN %s ELSE thumbprint END, "
                # a new vector is tagged again (imgsearch.tags)
                "auto_tags = CASE WHEN %s THEN NULL ELSE auto_tags END "
                "WHERE collection_id = %s AND id = %s RETURNING id",
                [
                    (
                        *fact_values(items[n].facts),
                        now,
                        vector(items[n]),
                        items[n].vector is not None,
                        items[n].thumbprint,
                        items[n].vector is not None,
                        c,
                        ids[n],
                    )
                    for n in stored_at
                ],
                returning=True,
            )
            # an id whose row is gone (removed meanwhile) is written as a new image
            for n, found in zip(stored_at, collect(cursor, stored_at), strict=True):
                ids[n] = found
        fresh = [n for n in range(len(items)) if ids[n] is None]
        inserted: dict[int, tuple[dict[str, int], int]] = {}
        if fresh:
            # ids drawn first, rows sent by binary COPY: a Citus coordinator routes COPY
            # rows to the shards as they stream (an INSERT it would plan, deparse to text
            # and re-parse on the worker, row by row)
            new_ids = [
                int(row[0])
                for row in tx.execute(
                    "SELECT nextval(pg_get_serial_sequence('imgsearch_images', 'id')) "
                    "FROM generate_series(1, %s)",
                    (len(fresh),),
                ).fetchall()
            ]
            with cursor.copy(
                f"COPY imgsearch_images ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(COPY_TYPES)
                for n, image_id in zip(fresh, new_ids, strict=True):
                    facts = items[n].facts
                    # no caption or tags yet: the terms come from the path and camera
                    terms = term_counts(
                        metadata_text(
                            facts.path,
                            camera=facts.camera,
                            archive=facts.archive.words() if facts.archive else None,
                        )
                    )
                    copy.write_row(
                        (
                            c,
                            image_id,
                            *fact_values(facts),
                            now,
                            vector(items[n]),
                            terms[1],
                            items[n].thumbprint,
                        )
                    )
                    ids[n] = image_id
                    inserted[image_id] = terms
    written = [int(i) for i in ids if i is not None]
    if len(written) != len(items):
        raise StoreError("an image row could not be written")
    write_terms(tx, c, written, inserted)
    return written


def lock_paths(tx: Any, c: int, paths: list[str]) -> None:
    """Hold, until ``tx`` ends, a lock on each of ``paths`` of collection ``c`` — taken in
    hash order, so writers sharing paths queue instead of deadlocking."""
    if paths:
        tx.execute(
            "SELECT count(pg_advisory_xact_lock(key)) FROM (SELECT DISTINCT "
            "hashtextextended(%s || ':' || path, 7302) AS key FROM unnest(%s::text[]) AS u(path) "
            "ORDER BY key) AS keys",
            (str(c), paths),
        )


def write_terms(
    tx: Any, c: int, image_ids: list[int], new: dict[int, tuple[dict[str, int], int]] | None = None
) -> None:
    """Recompute the BM25 terms (and document lengths) of ``image_ids`` in collection
    ``c``; ``new``: those just inserted (no terms stored yet), with their term counts and
    length, written as they are."""
    new = new or {}
    stored = [i for i in image_ids if i not in new]
    rows: list[Any] = []
    if stored:
        rows = tx.execute(
            "SELECT i.id, i.path, i.camera, i.caption, i.tags, t.body, i.archive "
            "FROM imgsearch_images i "
            f"LEFT JOIN imgsearch_image_text t ON {CURRENT} "
            "WHERE i.collection_id = %s AND i.id = ANY(%s)",
            (c, stored),
        ).fetchall()
        tx.execute(
            "DELETE FROM imgsearch_terms WHERE collection_id = %s AND image_id = ANY(%s)",
            (c, stored),
        )
    with (
        tx.cursor() as cursor,
        cursor.copy(
            "COPY imgsearch_terms (collection_id, image_id, term, tf, doc_len) FROM STDIN"
        ) as copy,
    ):
        counted = [
            (
                image_id,
                *term_counts(
                    metadata_text(
                        path,
                        camera=camera,
                        caption=caption,
                        tags=tags or [],
                        read=read,
                        archive=archive_words(archive),
                    )
                ),
            )
            for image_id, path, camera, caption, tags, read, archive in rows
        ]
        lengths = [(image_id, length) for image_id, _, length in counted]
        for image_id, counts, length in [*counted, *((i, *t) for i, t in new.items())]:
            for term, tf in counts.items():
                copy.write_row((c, image_id, term, tf, length))
    if lengths:
        tx.execute(
            "UPDATE imgsearch_images SET doc_len = u.length "
            "FROM unnest(%s::bigint[], %s::integer[]) AS u(id, length) "
            "WHERE imgsearch_images.collection_id = %s AND imgsearch_images.id = u.id "
            # a new row version costs an HNSW insert: touch only rows whose length changed
            "AND imgsearch_images.doc_len IS DISTINCT FROM u.length",
            ([i for i, _ in lengths], [n for _, n in lengths], c),
        )


def as_vector(value: Any) -> Vector:
    """pgvector's adapter returns ``Vector`` objects (newer) or arrays (older)."""
    array = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(array, dtype=np.float32)
