"""Writing a batch to the embedded store: rows upserted by path in one transaction, the
FTS5 text kept in step (with the text read in the image, while it is the current
image's), deletions remembered (tombstones) for the vector index."""

from __future__ import annotations

import json
import sqlite3

import numpy as np

from imgsearch.media.archive import archive_words
from imgsearch.store.core import FACT_COLUMNS, FACT_NAMES, fact_values
from imgsearch.store.records import ImageFacts, Vector, WriteBatch
from imgsearch.store.region_rows import RegionTable, write_regions
from imgsearch.store.words import folded_lines, lines_to_json, metadata_text, read_text

CHUNK = 10_000  # ids per IN (...) list, well under SQLite's variable limit


def write_batch(tx: sqlite3.Connection, batch: WriteBatch, rev: int, now: float) -> list[int]:
    """Images (ids in batch order; vectors stamped with ``rev``), deletions, failures
    recorded and resolved, in the caller's transaction ``tx``."""
    ids = [
        write_image(tx, item.facts, item.vector, item.id, rev, now, item.thumbprint)
        for item in batch.images
    ]
    for start in range(0, len(batch.deletes), CHUNK):
        chunk = batch.deletes[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        tx.execute(f"DELETE FROM images WHERE id IN ({marks})", chunk)
        tx.execute(f"DELETE FROM images_fts WHERE rowid IN ({marks})", chunk)
        tx.execute(f"DELETE FROM image_text WHERE image_id IN ({marks})", chunk)
        tx.executemany("INSERT INTO tombstones (id, rev) VALUES (?, ?)", [(i, rev) for i in chunk])
    tx.executemany(
        "INSERT INTO failures (path, size, mtime_ns, code, message, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, code = excluded.code, "
        "message = excluded.message, seen_at = excluded.seen_at",
        [(f.path, f.size, f.mtime_ns, f.code, f.message, f.seen_at or now) for f in batch.failures],
    )
    tx.executemany("DELETE FROM failures WHERE path = ?", [(p,) for p in batch.resolved])
    write_regions(tx, region_table(rev), batch, ids)
    write_texts(tx, batch, ids)
    return ids


def write_texts(tx: sqlite3.Connection, batch: WriteBatch, ids: list[int]) -> None:
    """Store the text read in images (in place of what was read before) and refresh their
    metadata text."""
    for text in batch.texts:
        image_id = ids[text.image_index] if text.image_index is not None else text.image_id
        row = tx.execute("SELECT digest FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None or row[0] != text.digest:  # removed or changed since it was read
            continue
        tx.execute(
            "INSERT OR REPLACE INTO image_text "
            "(image_id, digest, stamp, lines, body, folded, warning) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                image_id,
                row[0],
                text.stamp,
                lines_to_json(text.lines),
                read_text(text.lines),
                folded_lines(text.lines),
                text.warning,
            ),
        )
        write_text(tx, int(image_id or 0))


def region_table(rev: int) -> RegionTable:
    """Regions as this store keeps them; what a batch of revision ``rev`` writes or drops
    is stamped with it (rows and tombstones), for the vector index to catch up."""

    def tombstones(tx: sqlite3.Connection, ids: list[int]) -> None:
        tx.executemany(
            "INSERT INTO region_tombstones (id, rev) VALUES (?, ?)", [(i, rev) for i in ids]
        )

    return RegionTable(
        regions="regions",
        images="images",
        stamps="region_stamps",
        mark="?",
        encode=encode_vector,
        stamp={"vec_rev": rev},
        on_delete=tombstones,
    )


def encode_vector(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def write_image(
    tx: sqlite3.Connection,
    facts: ImageFacts,
    vector: Vector | None,
    image_id: int | None,
    rev: int,
    now: float,
    thumbprint: bytes | None = None,
) -> int:
    """Insert or update one image (by ``image_id``, else by path); its id. The
    ``thumbprint`` is written with a new ``vector`` (and left alone without one)."""
    values = fact_values(facts)
    if image_id is None:
        row = tx.execute("SELECT id FROM images WHERE path = ?", (facts.path,)).fetchone()
        image_id = None if row is None else int(row[0])
    if image_id is None:
        marks = ", ".join("?" * (len(FACT_NAMES) + 1))
        cursor = tx.execute(
            f"INSERT INTO images ({FACT_COLUMNS}, indexed_at) VALUES ({marks})", (*values, now)
        )
        image_id = int(cursor.lastrowid or 0)
    else:
        assignments = ", ".join(f"{name} = ?" for name in FACT_NAMES)
        tx.execute(
            f"UPDATE images SET {assignments}, indexed_at = ? WHERE id = ?",
            (*values, now, image_id),
        )
    if vector is not None:
        tx.execute(
            # a new vector is tagged again (imgsearch.tags)
            "UPDATE images SET vector = ?, vec_rev = ?, thumbprint = ?, auto_tags = NULL "
            "WHERE id = ?",
            (encode_vector(vector), rev, thumbprint, image_id),
        )
    write_text(tx, image_id)
    return image_id


def write_text(tx: sqlite3.Connection, image_id: int) -> None:
    """Recompute the FTS5 metadata text of ``image_id``."""
    path, camera, caption, tags, read, archive = tx.execute(
        "SELECT path, camera, caption, tags, t.body, archive FROM images LEFT JOIN image_text t "
        "ON t.image_id = images.id AND t.digest = images.digest WHERE images.id = ?",
        (image_id,),
    ).fetchone()
    body = metadata_text(
        path, camera=camera, caption=caption, tags=json.loads(tags), read=read,
        archive=archive_words(archive),
    )  # fmt: skip
    tx.execute("DELETE FROM images_fts WHERE rowid = ?", (image_id,))
    tx.execute("INSERT INTO images_fts (rowid, body) VALUES (?, ?)", (image_id, body))
