"""What every store does the same way, whatever its database: one core, thin dialects.

The embedded and the PostgreSQL store differ in SQL dialect, connections and vector
search; the guards, the decisions and the shapes of what they return are here, once,
so that a feature added to the contract is written once too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imgsearch.errors import ModelMismatch, StoreError
from imgsearch.store.records import Filters, ImageFacts, IndexSettings, Run, Vector
from imgsearch.store.words import fold_text


def check_binding(
    location: str, current: str | None, dim: int, wanted: IndexSettings, *, reembed: bool
) -> bool:
    """Whether binding ``wanted`` to an index bound to ``current`` (``dim``-d) must drop
    the stored vectors first; raises :class:`ModelMismatch` when it may not.

    Returns False when the index is unbound or already bound to ``wanted``."""
    if current is None or (current == wanted.model_id and dim == wanted.dim):
        return False
    if not reembed:
        raise ModelMismatch(
            f"the index at {location} holds {dim}-d vectors of {current}, "
            f"not {wanted.dim}-d vectors of {wanted.model_id}",
            hint=f"use the index's own model ({current}), or re-embed every image with "
            f"{wanted.model_id}",
            indexed=current,
            requested=wanted.model_id,
        )
    return True


def check_dimensions(vectors: Sequence[Vector], dim: int) -> None:
    """Refuse vectors whose length is not the index's ``dim`` (0: not bound yet)."""
    wrong = next((v.shape[-1] for v in vectors if dim and v.shape[-1] != dim), None)
    if wrong is not None:
        raise ModelMismatch(
            f"cannot store a {wrong}-d vector in an index of {dim}-d vectors",
            hint="embed with the index's own model, or re-embed the index",
        )


FACT_COLUMNS = (
    "path, size, mtime_ns, digest, width, height, format, captured_at, camera, latitude, "
    "longitude, duration, fps, codec, frame_count, kind, archive, sidecar_mtime_ns"
)
"""The columns of :class:`~imgsearch.store.records.ImageFacts`, in its field order."""
FACT_NAMES = tuple(name.strip() for name in FACT_COLUMNS.split(","))
RECORD_COLUMNS = f"id, {FACT_COLUMNS}, caption, tags"
"""What :func:`~imgsearch.store.records.record_from_row` reads, in order."""


@dataclass(frozen=True)
class Dialect:
    """What differs between the stores' SQL for the same condition.

    ``param`` is the placeholder (``?`` / ``%s``); ``true`` a condition that always
    holds; ``prefix`` the condition "``column`` lies under folder ``base``" (``base``
    ends in ``/``) with its parameters; ``any_of`` "``column`` is one of ``values``";
    ``has_text`` "the image whose columns are named by ``column`` (a format string) holds
    every one of the folded ``phrases`` in its read text"; ``has_tag`` "the JSON list of
    tags in ``column`` holds one of ``tags``"; ``has_auto_tag`` "the JSON object of
    automatic tags in ``column`` (NULL: none yet) has one of ``tags`` as a key" (never
    NULL itself, so that it can be negated); ``has_keyword`` the same for the
    ``keywords`` of the archive document (JSON text) in ``column``; ``rating`` that
    document's rating as an integer (NULL: none).
    """

    param: str
    true: str
    prefix: Callable[[str, str], tuple[str, list[Any]]]
    any_of: Callable[[str, Sequence[Any]], tuple[str, list[Any]]]
    has_text: Callable[[str, Sequence[str]], tuple[str, list[Any]]]
    has_tag: Callable[[str, Sequence[str]], tuple[str, list[Any]]]
    has_auto_tag: Callable[[str, Sequence[str]], tuple[str, list[Any]]]
    has_keyword: Callable[[str, Sequence[str]], tuple[str, list[Any]]]
    rating: Callable[[str], str]


def under_clause(
    roots: Sequence[str] | None, dialect: Dialect, table: str = ""
) -> tuple[str, list[Any]]:
    """Paths inside any of ``roots`` (all paths when there are none)."""
    if not roots:
        return dialect.true, []
    column = f"{table}.path" if table else "path"
    parts, params = [], []
    for root in roots:
        sql, values = dialect.prefix(column, root.rstrip("/") + "/")
        parts.append(sql)
        params += values
    return "(" + " OR ".join(parts) + ")", params


def filter_clause(filters: Filters, dialect: Dialect, table: str = "") -> tuple[str, list[Any]]:
    """The SQL condition (and its parameters) of ``filters``, the same on every store."""
    column = f"{table}.{{}}" if table else "{}"
    clause, params = under_clause(filters.under, dialect, table)
    parts = [clause]
    mark = dialect.param
    sort_time = f"coalesce({column.format('captured_at')}, {column.format('mtime_ns')} / 1e9)"
    if filters.after is not None:
        parts.append(f"{sort_time} >= {mark}")
        params.append(filters.after)
    if filters.before is not None:
        parts.append(f"{sort_time} < {mark}")
        params.append(filters.before)
    if filters.formats:
        sql, values = dialect.any_of(column.format("format"), filters.formats)
        parts.append(sql)
        params += values
    if filters.min_width is not None:
        parts.append(f"{column.format('width')} >= {mark}")
        params.append(filters.min_width)
    if filters.min_height is not None:
        parts.append(f"{column.format('height')} >= {mark}")
        params.append(filters.min_height)
    if filters.media is not None:
        parts.append(f"{column.format('kind')} = {mark}")
        params.append(filters.media)
    if filters.contains_text:
        sql, values = dialect.has_text(column, [fold_text(p) for p in filters.contains_text])
        parts.append(sql)
        params += values
    if filters.tags:
        sql, values = _tagged(column, filters.tags, dialect)
        parts.append(sql)
        params += values
    if filters.min_rating is not None:
        parts.append(f"{dialect.rating(column.format('archive'))} >= {mark}")
        params.append(filters.min_rating)
    if filters.not_tags:
        sql, values = _tagged(column, filters.not_tags, dialect)
        parts.append(f"NOT {sql}")
        params += values
    return " AND ".join(parts), params


def _tagged(column: str, tags: Sequence[str], dialect: Dialect) -> tuple[str, list[Any]]:
    """An image carries one of ``tags``, as the user's own or as an automatic tag."""
    own, own_values = dialect.has_tag(column.format("tags"), tags)
    auto, auto_values = dialect.has_auto_tag(column.format("auto_tags"), tags)
    kept, kept_values = dialect.has_keyword(column.format("archive"), tags)
    return f"({own} OR {auto} OR {kept})", [*own_values, *auto_values, *kept_values]


def stack_vectors(
    ids: Sequence[int], found: Mapping[int, Any], dim: int, decode: Callable[[Any], Vector]
) -> Vector:
    """``(len(ids), dim)`` vectors in the order of ``ids``, from what a query ``found``
    (stored form → :data:`Vector` by ``decode``); an id without a vector is an error."""
    missing = [i for i in ids if i not in found]
    if missing:
        raise StoreError(f"no vector stored for image ids {missing[:5]}")
    out = np.empty((len(ids), dim), dtype=np.float32)
    for row, image_id in enumerate(ids):
        out[row] = decode(found[image_id])
    return out


SAMPLE_ORDER = "((id % 2147483648) * 1103515245 + 12345) % 2147483648, id"
"""The order a collection's sample is drawn in: a fixed hash of the image id (the same in
SQLite and PostgreSQL, and :func:`imgsearch.query.confidence.sample_key`), so the sample is the
same every time and a growing collection only swaps in the new images that hash low.
Migrations 0007 (SQLite) and 0014 (PostgreSQL) index this very expression, so that the
sample is read without sorting the collection: change it only with new migrations."""


def run_values(run: Run) -> tuple[float, float | None, str, str, bool]:
    """A run's stored columns: started, finished, roots and counts (JSON), completed."""
    return (
        run.started_at,
        run.finished_at,
        json.dumps(list(run.roots)),
        json.dumps(run.counts()),
        run.completed,
    )


LAST_RUN_COLUMNS = "started_at, finished_at, roots, counts, completed"
"""What :func:`run_from_row` reads of the newest run."""


def run_from_row(row: Sequence[Any] | None) -> Run | None:
    """The run stored as :func:`run_values` wrote it (JSON read by the driver or not)."""
    if row is None:
        return None
    started, finished, roots, counts, completed = row
    roots = json.loads(roots) if isinstance(roots, str) else roots
    counts = json.loads(counts) if isinstance(counts, str) else counts
    return Run(started, finished, tuple(roots), completed=bool(completed), **counts)


def fact_values(facts: ImageFacts) -> tuple[Any, ...]:
    """The values of :data:`FACT_COLUMNS` for ``facts``, in that order."""
    return (
        facts.path, facts.size, facts.mtime_ns, facts.digest, facts.width, facts.height,
        facts.format, facts.captured_at, facts.camera, facts.latitude, facts.longitude,
        facts.duration, facts.fps, facts.codec, facts.frame_count, facts.kind,
        None if facts.archive is None else json.dumps(facts.archive.as_dict()),
        facts.sidecar_mtime_ns,
    )  # fmt: skip


def save_run(
    tx: Any,
    dialect: Dialect,
    table: str,
    run: Run,
    run_id: int | None,
    scope: tuple[str, int] | None = None,
) -> int:
    """Insert ``run`` (``run_id`` None) or update it, in ``table``; ``scope`` is a column
    and value every row of the store carries (PostgreSQL's collection). Its id."""
    mark = dialect.param
    columns = ["started_at", "finished_at", "roots", "counts", "completed"]
    values: list[Any] = list(run_values(run))
    where, keys = "", []
    if scope is not None:
        where, keys = f" AND {scope[0]} = {mark}", [scope[1]]
    if run_id is None:
        names = [*([scope[0]] if scope else []), *columns]
        row = tx.execute(
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join([mark] * len(names))}) RETURNING id",
            [*keys, *values],
        ).fetchone()
        return int(row[0])
    assignments = ", ".join(f"{name} = {mark}" for name in columns)
    tx.execute(
        f"UPDATE {table} SET {assignments} WHERE id = {mark}{where}", [*values, run_id, *keys]
    )
    return run_id


def document_from_text(text: str | None, what: str) -> dict[str, Any]:
    """A stored document (``what``: the region policy, the calibration; JSON text, or
    nothing yet) as a dict."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        raise StoreError(f"the index's {what} is not valid JSON") from None
    if not isinstance(document, dict):
        raise StoreError(f"the index's {what} is not a JSON object")
    return document
