"""How the PostgreSQL store writes the conditions every store shares
(:class:`imgsearch.store.core.Dialect`)."""

from __future__ import annotations

from imgsearch.store import core

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
)


def like_literal(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
