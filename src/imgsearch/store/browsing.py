"""A collection without a query: pages of its items in an order (newest first, oldest
first, by path) and the counts a browser shows beside them — folders, months, tags,
labels and kinds, each under the same filters — the same SQL on every store.

Every count is one ``GROUP BY`` over the rows the filters allow, run by the database;
nothing is read into Python row by row, so a facet costs one scan however large the
collection (BENCHMARKS.md, "Browsing").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from imgsearch.errors import InvalidQuery
from imgsearch.store.core import Dialect, filter_clause
from imgsearch.store.records import Filters, ImageRecord
from imgsearch.store.region_rows import RegionTable, region_filter

ORDERS = {
    "newest": "{taken} DESC, i.id DESC",
    "oldest": "{taken} ASC, i.id ASC",
    "path": "{path}, i.id",
}
"""How a listing can be ordered; "taken" is the capture time, else the file's
modification time (what the date filters compare)."""
TAKEN = "coalesce(i.captured_at, i.mtime_ns / 1e9)"
MAX_FACET_VALUES = 200
"""Folders, tags and labels listed per facet, the most frequent first."""
MAX_PAGE = 1000
"""Items per page of a listing, at most."""
MAX_OFFSET = 2**31 - 1
MAX_LABELS = 64
"""Labels an image may be asked to carry in one listing (any of them)."""

Rows = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]
"""Runs a read query with its parameters and returns its rows."""


@dataclass(frozen=True)
class BrowseSql:
    """What differs between the stores' SQL for browsing, beyond :class:`Dialect`.

    ``find(text, needle)``: the 1-based position of ``needle`` in ``text`` (0: absent);
    ``month(seconds)``: ``YYYY-MM`` of a POSIX time (UTC, the caller shifts it);
    ``tag_counts(scan, where)``: the query counting the tags of the images ``i`` (``scan``:
    the table as ``i``) that satisfy ``where``, as (tag, count) rows; ``auto_tag_counts``
    the same for their automatic tags, ``keyword_counts`` for their archive keywords;
    ``path_order``: ``i.path`` ordered byte-wise (as paths are compared everywhere);
    ``scanned``: the images table as ``i`` for a query that reads every row the filters
    allow (a count), which a store may point at a narrower index than the table.
    """

    dialect: Dialect
    regions: RegionTable
    find: Callable[[str, str], str]
    month: Callable[[str], str]
    tag_counts: Callable[[str, str], str]
    auto_tag_counts: Callable[[str, str], str]
    keyword_counts: Callable[[str, str], str]
    path_order: str = "i.path"
    scanned: str = ""

    @property
    def scan(self) -> str:
        return self.scanned or f"{self.regions.images} i"


@dataclass(frozen=True)
class Facets:
    """Counts of the items a set of filters allows, by value, for a browser's side panel.

    ``folders``: the folders one level below ``base`` (absolute paths), with how many items
    each holds at any depth; ``here``: items directly in ``base``. ``months``: ``YYYY-MM``
    in the time zone of the caller's offset, oldest first. ``tags``, ``labels`` (images
    with a box of that label), ``kinds``: most frequent first (ties by name).
    """

    total: int
    base: str
    folders: tuple[tuple[str, int], ...]
    here: int
    months: tuple[tuple[str, int], ...]
    tags: tuple[tuple[str, int], ...]
    labels: tuple[tuple[str, int], ...]
    kinds: tuple[tuple[str, int], ...]
    auto_tags: tuple[tuple[str, int], ...] = ()
    """The automatic tags (:mod:`imgsearch.tags`) of the items, most frequent first."""
    keywords: tuple[tuple[str, int], ...] = ()
    """The keywords archives gave the items (XMP, IPTC: :mod:`imgsearch.media.archive`),
    most frequent first; they filter as tags do."""

    def as_dict(self) -> dict[str, Any]:
        def pairs(values: tuple[tuple[str, int], ...], name: str) -> list[dict[str, Any]]:
            return [{name: value, "count": count} for value, count in values]

        return {
            "total": self.total,
            "base": self.base,
            "here": self.here,
            "folders": pairs(self.folders, "folder"),
            "months": pairs(self.months, "month"),
            "tags": pairs(self.tags, "tag"),
            "labels": pairs(self.labels, "label"),
            "kinds": pairs(self.kinds, "kind"),
            "auto_tags": pairs(self.auto_tags, "tag"),
            "keywords": pairs(self.keywords, "tag"),
        }


def check_page(order: str, limit: int, offset: int) -> str:
    """``order``, once it and the page asked for are known to be usable."""
    if order not in ORDERS:
        raise InvalidQuery(f"unknown order {order!r}", hint=f"order by one of: {', '.join(ORDERS)}")
    if not 0 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise InvalidQuery(f"a page is 0 to {MAX_PAGE} items from an offset of 0 or more")
    return order


def _allowed(sql: BrowseSql, filters: Filters, labels: Sequence[str]) -> tuple[str, list[Any]]:
    """The condition on images ``i`` (with vectors, in this store's scope) that ``filters``
    allow and that carry a box with one of ``labels`` (when given)."""
    if len(labels) > MAX_LABELS:
        raise InvalidQuery(f"{len(labels)} labels in one listing; at most {MAX_LABELS}")
    table, mark = sql.regions, sql.regions.mark
    clause, params = filter_clause(filters, sql.dialect, "i")
    parts = ["i.vector IS NOT NULL", clause]
    for name, value in table.scope.items():
        parts.append(f"i.{name} = {mark}")
        params.append(value)
    if labels:
        keys = [*table.scope, "image_id"]
        inside, values = sql.dialect.any_of("label", list(labels))
        scope = "".join(f" AND {name} = {mark}" for name in table.scope)
        mine = ", ".join(f"i.{name}" for name in [*table.scope, "id"])
        parts.append(
            f"({mine}) IN (SELECT {', '.join(keys)} FROM {table.regions} WHERE {inside}{scope})"
        )
        params += [*values, *table.scope.values()]
    return " AND ".join(parts), params


def listing(
    rows: Rows,
    sql: BrowseSql,
    filters: Filters,
    labels: Sequence[str],
    order: str,
    limit: int,
    offset: int,
) -> tuple[list[int], int]:
    """Ids of a page of the items ``filters`` and ``labels`` allow, in ``order``, and how
    many they allow in all."""
    where, params = _allowed(sql, filters, labels)
    images, mark = sql.regions.images, sql.regions.mark
    ordering = ORDERS[check_page(order, limit, offset)].format(taken=TAKEN, path=sql.path_order)
    ids = rows(
        f"SELECT i.id FROM {images} i WHERE {where} ORDER BY {ordering} LIMIT {mark} OFFSET {mark}",
        [*params, int(limit), int(offset)],
    )
    total = rows(f"SELECT count(*) FROM {sql.scan} WHERE {where}", params)[0][0]
    return [int(row[0]) for row in ids], int(total)


def facets(
    rows: Rows,
    sql: BrowseSql,
    filters: Filters,
    labels: Sequence[str],
    base: str,
    utc_offset: float,
) -> Facets:
    """The :class:`Facets` of what ``filters`` and ``labels`` allow; folders below ``base``
    (absolute, without a trailing ``/``), months ``utc_offset`` seconds ahead of UTC."""
    where, params = _allowed(sql, filters, labels)
    mark = sql.regions.mark
    scan = sql.scan
    total = int(rows(f"SELECT count(*) FROM {scan} WHERE {where}", params)[0][0])
    inside = base.rstrip("/") + "/"
    slash = sql.find("rest", "'/'")
    children = rows(
        f"SELECT child, count(*) FROM (SELECT CASE WHEN {slash} > 0 "
        f"THEN substr(rest, 1, {slash} - 1) ELSE '' END AS child "
        f"FROM (SELECT substr(i.path, {mark}) AS rest FROM {scan} WHERE {where} "
        f"AND substr(i.path, 1, {mark}) = {mark}) AS a) AS b GROUP BY child",
        [len(inside) + 1, *params, len(inside), inside],
    )
    here = sum(int(n) for child, n in children if child == "")
    folders = _top((inside + str(child), int(n)) for child, n in children if child != "")
    month = sql.month(f"{TAKEN} + {mark}")
    months = rows(
        f"SELECT {month} AS m, count(*) FROM {scan} WHERE {where} GROUP BY m ORDER BY m",
        [float(utc_offset), *params],
    )
    tags = rows(sql.tag_counts(scan, where), params)
    auto_tags = rows(sql.auto_tag_counts(scan, where), params)
    keywords = rows(sql.keyword_counts(scan, where), params)
    # every label, not only those asked for: the facet offers the others too
    region_from, region_params = region_filter(sql.regions, filters, (), (), sql.dialect)
    labelled = rows(
        f"SELECT r.label, count(DISTINCT r.image_id) FROM {region_from} "
        "AND r.label IS NOT NULL AND i.vector IS NOT NULL GROUP BY r.label",
        region_params,
    )
    kinds = rows(f"SELECT i.kind, count(*) FROM {scan} WHERE {where} GROUP BY i.kind", params)
    return Facets(
        total=total,
        base=inside.rstrip("/") or "/",
        folders=tuple(sorted(folders)),
        here=here,
        months=tuple((str(m), int(n)) for m, n in months if m is not None),
        tags=_top((str(t), int(n)) for t, n in tags),
        labels=_top((str(label), int(n)) for label, n in labelled),
        kinds=_top((str(kind), int(n)) for kind, n in kinds),
        auto_tags=_top((str(t), int(n)) for t, n in auto_tags),
        keywords=_top((str(t), int(n)) for t, n in keywords),
    )


def _top(counted: Any) -> tuple[tuple[str, int], ...]:
    """The :data:`MAX_FACET_VALUES` most frequent values, ties by value."""
    ordered = sorted(counted, key=lambda pair: (-pair[1], pair[0]))
    return tuple(ordered[:MAX_FACET_VALUES])


@dataclass(frozen=True)
class Listing:
    """A page of a collection's items (:meth:`imgsearch.Index.browse`): ``items`` from
    position ``offset`` of ``total``."""

    items: list[ImageRecord]
    total: int
    offset: int
    order: str


def facet_base(under: Sequence[str], collection: Sequence[str]) -> str:
    """The folder whose subfolders the folder facet counts: the folder filtered on (the
    common parent of several), else the collection's own (``collection``: the folders
    that hold every item), else ``/``."""
    folders = [f.rstrip("/") or "/" for f in (under or collection)]
    return os.path.commonpath(folders) if folders else "/"


def local_utc_offset() -> float:
    """This machine's current offset from UTC in seconds, as the date filters' local
    midnights use it (months are bucketed with it; a change of daylight saving time since
    an item was taken moves it by the hour across a month's first midnight at most)."""
    offset = dt.datetime.now().astimezone().utcoffset()
    return offset.total_seconds() if offset else 0.0
