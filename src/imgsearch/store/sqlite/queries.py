"""The embedded store's read queries that search builds on: the SQLite dialect (and its
browsing SQL), the rows a filter allows (for the in-memory vector indexes), metadata
matches, the data's stamp."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from imgsearch.store import core
from imgsearch.store.browsing import BrowseSql
from imgsearch.store.records import Filters
from imgsearch.store.region_rows import region_filter
from imgsearch.store.sqlite.write import region_table
from imgsearch.store.words import match_expression

SQLITE = core.Dialect(
    param="?",
    true="1",
    # a range the path index scans ('0' sorts right after '/')
    prefix=lambda column, base: (f"({column} >= ? AND {column} < ?)", [base, base[:-1] + "0"]),
    any_of=lambda column, values: (f"{column} IN ({','.join('?' * len(values))})", list(values)),
    has_text=lambda column, phrases: (
        f"({column.format('id')}, {column.format('digest')}) IN "
        "(SELECT image_id, digest FROM image_text WHERE "
        + " AND ".join("instr(folded, ?) > 0" for _ in phrases)
        + ")",
        list(phrases),
    ),
    has_tag=lambda column, tags: (
        f"({column} != '[]' AND EXISTS (SELECT 1 FROM json_each({column}) "
        f"WHERE value IN ({','.join('?' * len(tags))})))",
        list(tags),
    ),
    has_keyword=lambda column, tags: (
        f"({column} IS NOT NULL AND EXISTS (SELECT 1 FROM json_each({column}, '$.keywords') "
        f"WHERE value IN ({','.join('?' * len(tags))})))",
        list(tags),
    ),
    rating=lambda column: f"CAST(json_extract({column}, '$.rating') AS INTEGER)",
    has_auto_tag=lambda column, tags: (
        f"(coalesce({column}, '{{}}') != '{{}}' AND EXISTS (SELECT 1 FROM "
        f"json_each(coalesce({column}, '{{}}')) WHERE key IN ({','.join('?' * len(tags))})))",
        list(tags),
    ),
)

BROWSE = BrowseSql(
    SQLITE,
    region_table(0),
    find=lambda text, needle: f"instr({text}, {needle})",
    month=lambda seconds: f"strftime('%Y-%m', {seconds}, 'unixepoch')",
    tag_counts=lambda scan, where: (
        f"SELECT t.value, count(*) FROM {scan}, json_each(i.tags) t WHERE i.tags != '[]' "
        f"AND {where} GROUP BY t.value"
    ),
    keyword_counts=lambda scan, where: (
        f"SELECT k.value, count(DISTINCT i.id) FROM {scan}, json_each(i.archive, '$.keywords') k "
        f"WHERE i.archive IS NOT NULL AND {where} GROUP BY k.value"
    ),
    auto_tag_counts=lambda scan, where: (
        f"SELECT t.key, count(*) FROM {scan}, json_each(i.auto_tags) t "
        f"WHERE i.auto_tags IS NOT NULL AND {where} GROUP BY t.key"
    ),
    # migration 0010's narrow index, which holds every column a count reads
    scanned="images i INDEXED BY images_browse",
)

IdArray = np.ndarray[Any, np.dtype[np.int64]]


def allowed_images(db: sqlite3.Connection, filters: Filters) -> IdArray:
    """Ids of the images with vectors that ``filters`` allow."""
    clause, params = core.filter_clause(filters, SQLITE)
    rows = db.execute(
        f"SELECT id FROM images WHERE vector IS NOT NULL AND {clause}", params
    ).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def allowed_regions(
    db: sqlite3.Connection, filters: Filters, labels: Sequence[str], sources: Sequence[str]
) -> IdArray:
    """Ids of the regions whose image ``filters`` allow, with one of ``labels`` and from
    one of ``sources`` (each: any when empty)."""
    sql, params = region_filter(region_table(0), filters, labels, sources, SQLITE)
    rows = db.execute(f"SELECT r.id FROM {sql}", params).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def metadata_matches(
    db: sqlite3.Connection, text: str, limit: int, filters: Filters
) -> list[tuple[int, float]]:
    """Images whose metadata text matches ``text``, best BM25 first (ties by id)."""
    expression = match_expression(text)
    if expression is None or limit <= 0:
        return []
    clause, params = core.filter_clause(filters, SQLITE)
    rows = db.execute(
        "SELECT images.id, -bm25(images_fts) AS score FROM images_fts "
        "JOIN images ON images.id = images_fts.rowid "
        f"WHERE images_fts MATCH ? AND images.vector IS NOT NULL AND {clause} "
        "ORDER BY score DESC, images.id LIMIT ?",
        (expression, *params, limit),
    ).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


def sample_images(db: sqlite3.Connection, size: int) -> tuple[list[int], int]:
    """See :meth:`imgsearch.store.Store.sample_images`."""
    ids = db.execute(
        f"SELECT id FROM images WHERE vector IS NOT NULL ORDER BY {core.SAMPLE_ORDER} LIMIT ?",
        (size,),
    ).fetchall()
    count = db.execute("SELECT count(*) FROM images WHERE vector IS NOT NULL").fetchone()[0]
    return [row[0] for row in ids], int(count)


def data_stamp(db: sqlite3.Connection) -> tuple[int, int]:
    """(generation, revision) of the data, in one statement."""
    rows = dict(
        db.execute("SELECT key, value FROM settings WHERE key IN ('generation', 'rev')").fetchall()
    )
    return int(rows.get("generation") or 0), int(rows.get("rev") or 0)
