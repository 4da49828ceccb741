"""How the PostgreSQL store writes the conditions every store shares
(:class:`imgsearch.store.core.Dialect`)."""

from __future__ import annotations

from imgsearch.store import core
from imgsearch.store.browsing import BrowseSql
from imgsearch.store.region_rows import RegionTable

POSTGRES = core.Dialect(
    param="%s",
    true="TRUE",
    # "base/" <= path < "base0" byte-wise ('0' follows '/') is the prefix as a range the
    # text_pattern_ops index can scan; starts_with keeps the test exact on its own
    prefix=lambda column, base: (
        f"({column} ~>=~ %s AND {column} ~<~ %s AND starts_with({column}, %s))",
        [base, base[:-1] + "0", base],
    ),
    any_of=lambda column, values: (f"{column} = ANY(%s)", [list(values)]),
    # a semi-join on the distribution column: Citus runs it inside each shard; LIKE, which
    # a pg_trgm index answers where the database has one (migration 0013)
    has_text=lambda column, phrases: (
        f"({column.format('collection_id')}, {column.format('id')}, {column.format('digest')}) "
        "IN (SELECT collection_id, image_id, digest FROM imgsearch_image_text WHERE "
        + " AND ".join("folded LIKE %s" for _ in phrases)
        + ")",
        [f"%{like_literal(phrase)}%" for phrase in phrases],
    ),
    # jsonb "has any of these strings as an element"
    has_tag=lambda column, tags: (f"({column} ?| %s)", [list(tags)]),
    has_auto_tag=lambda column, tags: (f"coalesce({column} ?| %s, false)", [list(tags)]),
    rating=lambda column: f"(({column})::jsonb ->> 'rating')::int",
    has_keyword=lambda column, tags: (
        f"coalesce(({column})::jsonb -> 'keywords' ?| %s, false)",
        [list(tags)],
    ),
)


def like_literal(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def browse_sql(regions: RegionTable) -> BrowseSql:
    """Browsing one collection (``regions`` names its tables and scope)."""
    return BrowseSql(
        POSTGRES,
        regions,
        find=lambda text, needle: f"strpos({text}, {needle})",
        month=lambda seconds: f"to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM')",
        # the tags unnested in a subquery, which Citus runs inside each shard
        tag_counts=lambda scan, where: (
            "SELECT value, count(*) FROM (SELECT jsonb_array_elements_text(i.tags) AS value "
            f"FROM {scan} WHERE {where}) AS t GROUP BY value"
        ),
        keyword_counts=lambda scan, where: (
            "SELECT value, count(DISTINCT id) FROM (SELECT i.id, jsonb_array_elements_text("
            "(i.archive)::jsonb -> 'keywords') AS value "
            f"FROM {scan} WHERE i.archive IS NOT NULL AND {where}) AS t GROUP BY value"
        ),
        auto_tag_counts=lambda scan, where: (
            "SELECT value, count(*) FROM (SELECT jsonb_object_keys(i.auto_tags) AS value "
            f"FROM {scan} WHERE i.auto_tags IS NOT NULL AND {where}) AS t GROUP BY value"
        ),
        path_order='i.path COLLATE "C"',
    )
