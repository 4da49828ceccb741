"""Regions in SQL, the same on every store: written with their image's batch, dropped
with their image, read back by image.

The stores differ only in what :class:`RegionTable` says — table names, placeholder,
the columns every row carries (PostgreSQL's collection, SQLite's vector revision), how
a vector is passed to the driver, and what deleting leaves behind (SQLite's
tombstones, which its in-memory vector index catches up from).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from imgsearch.errors import StoreError
from imgsearch.store.core import Dialect, filter_clause, stack_vectors
from imgsearch.store.records import (
    Filters,
    Region,
    RegionRecord,
    RegionSet,
    Vector,
    WriteBatch,
)
from imgsearch.types import Box

REGION_COLUMNS = "id, image_id, source, x, y, w, h, time, label, score, frame"
"""What :func:`region_from_row` reads, in order."""
VALUE_COLUMNS = ("source", "x", "y", "w", "h", "time", "label", "score", "frame", "vector")


@dataclass(frozen=True)
class RegionTable:
    """Where one store keeps regions and what its rows carry besides a region's own values."""

    regions: str
    images: str
    stamps: str
    mark: str
    encode: Callable[[Vector], Any]
    scope: Mapping[str, Any] = field(default_factory=dict)
    """Columns every row of this store has, with their values (a collection id): written
    on insert, and a condition of every read and delete."""
    stamp: Mapping[str, Any] = field(default_factory=dict)
    """Columns written on insert only (the batch's vector revision)."""
    on_delete: Callable[[Any, list[int]], None] | None = None
    """Called with the transaction and the ids of regions just deleted."""

    def where(self) -> tuple[str, list[Any]]:
        parts = [f"{name} = {self.mark}" for name in self.scope]
        return "".join(f" AND {part}" for part in parts), list(self.scope.values())

    def in_list(self, count: int) -> str:
        return "(" + ", ".join([self.mark] * count) + ")"


def region_values(region: Region) -> tuple[Any, ...]:
    box = region.box
    return (
        region.source,
        *((box.x, box.y, box.w, box.h) if box else (None, None, None, None)),
        region.time,
        region.label,
        region.score,
        region.frame,
    )


def region_from_row(row: Sequence[Any]) -> RegionRecord:
    region_id, image_id, source, x, y, w, h, time, label, score, frame = row
    box = None if x is None else Box(float(x), float(y), float(w), float(h))
    region = Region(source, box=box, label=label, score=score, time=time, frame=frame)
    return RegionRecord(id=int(region_id), image_id=int(image_id), region=region)


def write_regions(tx: Any, table: RegionTable, batch: WriteBatch, image_ids: list[int]) -> None:
    """The region part of ``batch`` in transaction ``tx``, after its images were written
    with ``image_ids`` (in batch order): regions of re-embedded and deleted images are
    dropped, then each region set replaces what its source gave its image."""
    changed = [image_ids[n] for n, item in enumerate(batch.images) if item.vector is not None]
    drop(tx, table, "image_id", [*changed, *batch.deletes])
    _unstamp(tx, table, [*changed, *batch.deletes])
    for group in batch.regions:
        image_id = group.image_id if group.image_index is None else image_ids[group.image_index]
        assert image_id is not None
        _require_image(tx, table, image_id, batch.deletes)
        drop(tx, table, "image_id", [image_id], source=group.source)
        _insert(tx, table, image_id, group)
        _unstamp(tx, table, [image_id], group.source)
        if group.stamp is not None:
            extra = dict(table.scope)
            columns = [*extra, "image_id", "source", "stamp"]
            marks = ", ".join([table.mark] * len(columns))
            tx.execute(
                f"INSERT INTO {table.stamps} ({', '.join(columns)}) VALUES ({marks})",
                [*extra.values(), image_id, group.source, group.stamp],
            )


def _unstamp(
    tx: Any, table: RegionTable, image_ids: Sequence[int], source: str | None = None
) -> None:
    where, params = table.where()
    if source is not None:
        where += f" AND source = {table.mark}"
        params.append(source)
    for start in range(0, len(image_ids), 10_000):
        chunk = [int(i) for i in image_ids[start : start + 10_000]]
        tx.execute(
            f"DELETE FROM {table.stamps} WHERE image_id IN {table.in_list(len(chunk))}{where}",
            [*chunk, *params],
        )


def region_stamps(connection: Any, table: RegionTable, source: str) -> dict[int, str]:
    """Image id → the stamp of its ``source`` regions, for the images that have one."""
    where, params = table.where()
    rows = connection.execute(
        f"SELECT image_id, stamp FROM {table.stamps} WHERE source = {table.mark}{where}",
        [source, *params],
    ).fetchall()
    return {int(row[0]): str(row[1]) for row in rows}


def drop(
    tx: Any, table: RegionTable, column: str, values: Sequence[int], *, source: str | None = None
) -> None:
    """Delete the regions whose ``column`` is one of ``values`` (and from ``source``)."""
    if not values:
        return
    where, params = table.where()
    if source is not None:
        where += f" AND source = {table.mark}"
        params.append(source)
    deleted: list[int] = []
    for start in range(0, len(values), 10_000):
        chunk = [int(v) for v in values[start : start + 10_000]]
        rows = tx.execute(
            f"DELETE FROM {table.regions} WHERE {column} IN {table.in_list(len(chunk))}"
            f"{where} RETURNING id",
            [*chunk, *params],
        ).fetchall()
        deleted += [int(row[0]) for row in rows]
    if deleted and table.on_delete is not None:
        table.on_delete(tx, deleted)


def _require_image(tx: Any, table: RegionTable, image_id: int, deleted: Sequence[int]) -> None:
    where, params = table.where()
    found = tx.execute(
        f"SELECT 1 FROM {table.images} WHERE id = {table.mark}{where}", [image_id, *params]
    ).fetchone()
    if found is None or image_id in deleted:
        raise StoreError(f"regions for image {image_id}, which is not in the index")


def _insert(tx: Any, table: RegionTable, image_id: int, group: RegionSet) -> None:
    if not group.regions:
        return
    extra = {**table.scope, **table.stamp}
    columns = [*extra, "image_id", *VALUE_COLUMNS]
    marks = ", ".join([table.mark] * len(columns))
    rows = [
        (*extra.values(), image_id, *region_values(region), table.encode(vector))
        for region, vector in group.regions
    ]
    sql = f"INSERT INTO {table.regions} ({', '.join(columns)}) VALUES ({marks})"
    if hasattr(tx, "executemany"):  # sqlite3
        tx.executemany(sql, rows)
    else:  # psycopg
        with tx.cursor() as cursor:
            cursor.executemany(sql, rows)


def read_regions(
    connection: Any, table: RegionTable, image_ids: Sequence[int]
) -> list[RegionRecord]:
    """The regions of ``image_ids``, by image in the order asked, then by id."""
    if not image_ids:
        return []
    where, params = table.where()
    found: dict[int, list[RegionRecord]] = {}
    unique = list(dict.fromkeys(int(i) for i in image_ids))
    for start in range(0, len(unique), 10_000):
        chunk = unique[start : start + 10_000]
        rows = connection.execute(
            f"SELECT {REGION_COLUMNS} FROM {table.regions} WHERE image_id IN "
            f"{table.in_list(len(chunk))}{where} ORDER BY image_id, id",
            [*chunk, *params],
        ).fetchall()
        for row in rows:
            record = region_from_row(row)
            found.setdefault(record.image_id, []).append(record)
    return [record for image_id in unique for record in found.get(image_id, [])]


def read_region_vectors(
    connection: Any,
    table: RegionTable,
    region_ids: Sequence[int],
    dim: int,
    decode: Callable[[Any], Vector],
) -> Vector:
    """``(len(region_ids), dim)`` vectors in that order; an unknown id is an error."""
    where, params = table.where()
    found: dict[int, Any] = {}
    wanted = [int(i) for i in region_ids]
    for start in range(0, len(wanted), 10_000):
        chunk = wanted[start : start + 10_000]
        rows = connection.execute(
            f"SELECT id, vector FROM {table.regions} WHERE id IN "
            f"{table.in_list(len(chunk))}{where}",
            [*chunk, *params],
        ).fetchall()
        found.update({int(row[0]): row[1] for row in rows})
    missing = [i for i in wanted if i not in found]
    if missing:
        raise StoreError(f"no region with id {missing[0]}")
    return stack_vectors(wanted, found, dim, decode)


def region_filter(
    table: RegionTable,
    filters: Filters,
    labels: Sequence[str],
    sources: Sequence[str],
    dialect: Dialect,
) -> tuple[str, list[Any]]:
    """``FROM``-clause text (regions as ``r``, joined to their images as ``i``) and its
    parameters selecting the regions whose image passes ``filters`` and whose label and
    source are among ``labels`` and ``sources`` (when given)."""
    mark = table.mark
    scope = "".join(f" AND r.{name} = {mark} AND i.{name} = {mark}" for name in table.scope)
    scope_params = [value for value in table.scope.values() for _ in (0, 1)]
    clause, params = filter_clause(filters, dialect, "i")
    for column, values in (("label", labels), ("source", sources)):
        if values:
            condition, more = dialect.any_of(f"r.{column}", list(values))
            clause += f" AND {condition}"
            params += more
    return (
        f"{table.regions} r JOIN {table.images} i ON i.id = r.image_id WHERE {clause}{scope}",
        [*params, *scope_params],
    )


def labelled_regions(
    connection: Any, table: RegionTable, source: str | None, after: int, limit: int
) -> list[RegionRecord]:
    """Up to ``limit`` labelled regions (from ``source``, if given) with ids above
    ``after``, by id: a page of a walk through all of them."""
    where, params = table.where()
    if source is not None:
        where += f" AND source = {table.mark}"
        params.append(source)
    rows = connection.execute(
        f"SELECT {REGION_COLUMNS} FROM {table.regions} WHERE label IS NOT NULL "
        f"AND id > {table.mark}{where} ORDER BY id LIMIT {table.mark}",
        [after, *params, limit],
    ).fetchall()
    return [region_from_row(row) for row in rows]


def region_labels(connection: Any, table: RegionTable, source: str | None) -> dict[str, int]:
    """Each label of the regions (from ``source``, if given) and how many carry it."""
    where, params = table.where()
    if source is not None:
        where += f" AND source = {table.mark}"
        params.append(source)
    rows = connection.execute(
        f"SELECT label, count(*) FROM {table.regions} WHERE label IS NOT NULL{where} "
        "GROUP BY label ORDER BY label",
        params,
    ).fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


class RegionSearch(Protocol):
    """A backend's nearest-region search (see :meth:`StoredRegions.nearest`)."""

    def __call__(
        self,
        query: Vector,
        k: int,
        filters: Filters,
        labels: Sequence[str],
        sources: Sequence[str],
        exact: bool,
    ) -> list[tuple[int, int, float]]: ...


class StoredRegions:
    """A store's regions part (:class:`~imgsearch.store.base.Regions`), one implementation
    for every backend: the same queries on ``table`` through ``connection()``, vectors of
    the index's ``dim()`` decoded by ``decode``, and the backend's own vector ``search``
    (an in-memory index beside SQLite, pgvector's graphs in PostgreSQL)."""

    def __init__(
        self,
        connection: Callable[[], AbstractContextManager[Any]],
        table: RegionTable,
        dim: Callable[[], int],
        decode: Callable[[Any], Vector],
        search: RegionSearch,
    ) -> None:
        self._connection = connection
        self._table = table
        self._dim = dim
        self._decode = decode
        self._search = search

    def of(self, image_ids: Sequence[int]) -> list[RegionRecord]:
        with self._connection() as connection:
            return read_regions(connection, self._table, image_ids)

    def vectors(self, region_ids: Sequence[int]) -> Vector:
        dim = self._dim()
        with self._connection() as connection:
            return read_region_vectors(connection, self._table, region_ids, dim, self._decode)

    def labelled(
        self, *, source: str | None = "annotation", after: int = 0, limit: int = 10_000
    ) -> list[RegionRecord]:
        with self._connection() as connection:
            return labelled_regions(connection, self._table, source, after, limit)

    def stamps(self, source: str) -> dict[int, str]:
        with self._connection() as connection:
            return region_stamps(connection, self._table, source)

    def labels(self, *, source: str | None = "annotation") -> dict[str, int]:
        with self._connection() as connection:
            return region_labels(connection, self._table, source)

    def nearest(
        self,
        query: Vector,
        k: int,
        filters: Filters = Filters(),
        *,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
        exact: bool = False,
    ) -> list[tuple[int, int, float]]:
        return self._search(query, k, filters, labels, sources, exact)
