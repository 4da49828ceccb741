"""Named, ordered schema migrations of the embedded (SQLite) store.

Each migration runs once, in its own transaction, and is recorded by name in
``migrations``; an index written by a newer imgsearch (one that has migrations
this version does not know) is refused instead of being misread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from imgsearch.errors import StoreError
from imgsearch.store.words import fold_lines


def _refold_text(connection: sqlite3.Connection) -> None:
    """Fold the read text again (:func:`imgsearch.store.words.fold_text` now leaves out
    punctuation too)."""
    rows = connection.execute("SELECT image_id, lines FROM image_text").fetchall()
    connection.executemany(
        "UPDATE image_text SET folded = ? WHERE image_id = ?",
        [(fold_lines(lines), image_id) for image_id, lines in rows],
    )


Step = str | Callable[[sqlite3.Connection], None]
"""A migration: SQL statements separated by ``;``, or a function run in its transaction
(for what SQL cannot compute, such as text folded as Python folds it)."""

MIGRATIONS: list[tuple[str, Step]] = [
    (
        "0001_initial",
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE images (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            digest TEXT NOT NULL,
            width INTEGER,
            height INTEGER,
            format TEXT,
            captured_at REAL,
            camera TEXT,
            latitude REAL,
            longitude REAL,
            caption TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            vector BLOB,
            vec_rev INTEGER NOT NULL DEFAULT 0,
            indexed_at REAL NOT NULL
        );
        CREATE INDEX images_digest ON images(digest);
        CREATE INDEX images_vec_rev ON images(vec_rev);
        CREATE INDEX images_sort_time ON images(coalesce(captured_at, mtime_ns / 1e9));
        CREATE TABLE tombstones (id INTEGER NOT NULL, rev INTEGER NOT NULL);
        CREATE INDEX tombstones_rev ON tombstones(rev);
        CREATE TABLE failures (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            finished_at REAL,
            roots TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}',
            completed INTEGER NOT NULL DEFAULT 0
        );
        CREATE VIRTUAL TABLE images_fts USING fts5(
            body, tokenize = 'porter unicode61 remove_diacritics 2'
        );
        """,
    ),
    (
        # An image's parts with vectors of their own (objects, grid patches; later video
        # frames, by time). Deleting a region leaves a tombstone, as deleting an image
        # does, so the in-memory vector index can catch up with other writers.
        "0002_regions",
        """
        CREATE TABLE regions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            image_id INTEGER NOT NULL,
            source TEXT NOT NULL,
            x REAL,
            y REAL,
            w REAL,
            h REAL,
            time REAL,
            label TEXT,
            score REAL,
            vector BLOB NOT NULL,
            vec_rev INTEGER NOT NULL
        );
        CREATE INDEX regions_image ON regions(image_id, source);
        CREATE INDEX regions_label ON regions(label);
        CREATE INDEX regions_vec_rev ON regions(vec_rev);
        CREATE TABLE region_tombstones (id INTEGER NOT NULL, rev INTEGER NOT NULL);
        CREATE INDEX region_tombstones_rev ON region_tombstones(rev);
        """,
    ),
    (
        # Which pass gave an image its regions of a source, with which parameters.
        "0003_region_stamps",
        """
        CREATE TABLE region_stamps (
            image_id INTEGER NOT NULL,
            source TEXT NOT NULL,
            stamp TEXT NOT NULL,
            PRIMARY KEY (image_id, source)
        );
        CREATE INDEX region_stamps_source ON region_stamps(source);
        """,
    ),
    (
        # Videos are items too: their facts (NULL for still images); kept frames are
        # regions with a time.
        "0004_video",
        """
        ALTER TABLE images ADD COLUMN duration REAL;
        ALTER TABLE images ADD COLUMN fps REAL;
        ALTER TABLE images ADD COLUMN codec TEXT;
        ALTER TABLE images ADD COLUMN frame_count INTEGER;
        ALTER TABLE regions ADD COLUMN frame INTEGER;
        """,
    ),
    (
        # A picture's 16 × 16 grey thumbprint, written with its vector: near-duplicates
        # must agree on layout as well as content (imgsearch.duplicates.thumbprint).
        "0005_thumbprint",
        "ALTER TABLE images ADD COLUMN thumbprint BLOB;",
    ),
    (
        # Text read in a picture (OCR): its lines (JSON, with boxes and confidences), the
        # lines joined (metadata text) and folded (the contains-text filter). ``digest`` is
        # that of the bytes it was read from: a row whose image changed since is not its
        # text any more, and is ignored until read again.
        "0006_image_text",
        """
        CREATE TABLE image_text (
            image_id INTEGER PRIMARY KEY,
            digest TEXT NOT NULL,
            stamp TEXT NOT NULL,
            lines TEXT NOT NULL,
            body TEXT NOT NULL,
            folded TEXT NOT NULL,
            warning TEXT
        );
        """,
    ),
    (
        # The confidence sample is the first images in a fixed hash order of their ids
        # (imgsearch.store.core.SAMPLE_ORDER, written out: a migration never changes):
        # without an index on that order every sample read sorted the whole table
        # (135 ms at 100,000 images, on every cold search); with it, 0.3 ms.
        "0007_sample_order",
        """
        CREATE INDEX images_sample
            ON images(((id % 2147483648) * 1103515245 + 12345) % 2147483648, id)
            WHERE vector IS NOT NULL;
        """,
    ),
    (
        # What an item is (imgsearch.kinds: image, video, pdf …), stored rather than
        # inferred from which facts are null: videos were the items with a duration.
        "0008_kind",
        """
        ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'image';
        UPDATE images SET kind = 'video' WHERE duration IS NOT NULL;
        """,
    ),
    # Punctuation is folded like spaces in the contains-text filter ("inv 4711" finds
    # "INV-4711"): the stored folded text is written again.
    ("0009_refold_punctuation", _refold_text),
    (
        # Browsing without a query (imgsearch.store.browsing) counts items by folder,
        # month, tag and kind: scans of this narrow index instead of the table, whose
        # rows carry each vector (ten times faster; BENCHMARKS.md, "Browsing").
        "0010_browse_index",
        """
        CREATE INDEX images_browse ON images(path, kind, captured_at, mtime_ns, tags)
            WHERE vector IS NOT NULL;
        """,
    ),
    # Zero-shot tags (imgsearch.tags): tag → confidence as a JSON object, NULL until the
    # picture is tagged.
    ("0011_auto_tags", "ALTER TABLE images ADD COLUMN auto_tags TEXT"),
    # What archives say of a picture (imgsearch.media.archive: XMP, IPTC, EXIF
    # descriptions) as JSON, and when its XMP sidecar last changed (0: none).
    (
        "0012_archive",
        """
        ALTER TABLE images ADD COLUMN archive TEXT;
        ALTER TABLE images ADD COLUMN sidecar_mtime_ns INTEGER NOT NULL DEFAULT 0;
        """,
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the database to the newest schema this code knows."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    applied = {row[0] for row in connection.execute("SELECT name FROM migrations")}
    unknown = applied - {name for name, _ in MIGRATIONS}
    if unknown:
        raise StoreError(
            f"this index was written by a newer imgsearch (migrations {sorted(unknown)})",
            hint="upgrade imgsearch (pip install -U imgsearch) to open it",
        )
    for name, script in MIGRATIONS:
        if name in applied:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            if connection.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                connection.execute("ROLLBACK")  # another process got there first
                continue
            if callable(script):
                script(connection)
            else:
                for statement in (part.strip() for part in script.split(";")):
                    if statement:
                        connection.execute(statement)
            connection.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
            )
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
