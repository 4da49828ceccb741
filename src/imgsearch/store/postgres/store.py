"""The PostgreSQL + pgvector store: connections, the model guard, batches, reads, search.

See the package docstring (:mod:`imgsearch.store.postgres`) for the design.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from imgsearch.errors import NotIndexed
from imgsearch.store import browsing, core, records
from imgsearch.store.postgres import binding, citus
from imgsearch.store.postgres.auto_tags import PostgresAutoTags
from imgsearch.store.postgres.connect import (
    connect,
    connection_pool,
    unreachable_as_unavailable,
)
from imgsearch.store.postgres.dialect import POSTGRES, browse_sql
from imgsearch.store.postgres.documents import PostgresDocuments, find_collection
from imgsearch.store.postgres.graph import IMAGES, REGIONS, VectorGraph
from imgsearch.store.postgres.nearest import nearest_images, nearest_regions
from imgsearch.store.postgres.read_text import PostgresTexts
from imgsearch.store.postgres.search import BM25_QUERY, GraphSettings, preferred_kind
from imgsearch.store.postgres.terms import query_terms
from imgsearch.store.postgres.url import parse_url, redact
from imgsearch.store.postgres.write import as_vector, region_table, write_batch, write_terms
from imgsearch.store.records import Filters, Vector
from imgsearch.store.region_rows import StoredRegions
from imgsearch.store.run_locks import advisory_run_lock

EXACT_BELOW = 50_000  # like the embedded store: exact search below this many vectors


class PostgresStore:
    """One collection in a PostgreSQL database with pgvector."""

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        hnsw_threshold: int = EXACT_BELOW,
        hnsw_m: int = 16,
        hnsw_ef_construction: int = 64,
        hnsw_build_memory_mb: int = 4096,
        hnsw_ef_search: int | None = None,
        pool_size: int = 1,
    ) -> None:
        conninfo, options = parse_url(url)
        self._conninfo = conninfo
        self.collection = options.collection
        self.location = redact(url)
        self._lock = threading.RLock()
        self._conn = connect(conninfo, self.location)
        self.on_citus = citus.has_citus(self._conn)
        self._pool: Any = None  # set last: setup runs on the first connection
        self._collection_id = self._find_collection(create)
        graph = GraphSettings(
            hnsw_threshold, hnsw_m, hnsw_ef_construction, hnsw_build_memory_mb,
            hnsw_ef_search if hnsw_ef_search is not None else options.ef_search,
            # images and their regions are co-located: the same shards
            citus.shard_count(self._conn, "imgsearch_images") if self.on_citus else 1,
            preferred_kind(self._conn),
        )  # fmt: skip
        self._images = VectorGraph(IMAGES, self._collection_id, self._transaction, graph)
        self._regions = VectorGraph(REGIONS, self._collection_id, self._transaction, graph)
        self.documents = PostgresDocuments(self._collection_id, self._connection, self._transaction)
        self.texts = PostgresTexts(self._collection_id, self._rows)
        self.auto_tags = PostgresAutoTags(self._collection_id, self._rows, self._transaction)
        self._browse = browse_sql(region_table(self._collection_id))
        self.regions = StoredRegions(
            self._connection,
            region_table(self._collection_id),
            self._dim,
            as_vector,
            lambda q, k, filters, labels, sources, exact: nearest_regions(
                self._regions, q, k, filters, labels, sources, exact
            ),
        )
        if pool_size > 1:
            # A server answers requests on several threads: each borrows its own
            # connection instead of queueing on this one.
            self._pool = connection_pool(
                conninfo, pool_size, f"imgsearch-{self.collection}", on_citus=self.on_citus
            )

    # -- plumbing -------------------------------------------------------------------

    def run_lock(self, name: str, *, wait: bool = False) -> AbstractContextManager[None]:
        return advisory_run_lock(self._conninfo, self._collection_id, self.location, name, wait)

    def thumbnail_folder(self, data_dir: Path) -> Path:
        """``data_dir/thumbnails/`` and a folder named after the URL without its password
        (see :meth:`Store.thumbnail_folder`)."""
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.location).strip("-")
        return data_dir / "thumbnails" / name[-100:]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        with self._lock:
            self._conn.close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection for this thread: from the pool, or the one shared under a lock.

        A server or node that cannot be reached (a Citus worker down, the connection
        lost) is :class:`~imgsearch.errors.StoreUnavailable`, naming it: never a
        partial answer.
        """
        with unreachable_as_unavailable(self.location):
            if self._pool is None:
                with self._lock:
                    yield self._conn
            else:
                with self._pool.connection() as conn:
                    yield conn

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._connection() as conn, conn.transaction():
            yield conn

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._connection() as conn:
            return list(conn.execute(sql, params).fetchall())

    def _find_collection(self, create: bool) -> int:
        with self._transaction() as tx:
            return find_collection(tx, self.collection, self.location, create=create)

    # -- the model guard -------------------------------------------------------------

    def settings(self) -> records.IndexSettings | None:
        with self._connection() as conn:
            return binding.read_settings(conn, self._collection_id)

    def bind(self, settings: records.IndexSettings, *, reembed: bool = False) -> None:
        with self._transaction() as tx:
            binding.bind_collection(
                tx, self._collection_id, self.location, settings, reembed,
                (self._images, self._regions),
            )  # fmt: skip

    def _dim(self) -> int:
        rows = self._rows(
            "SELECT dim FROM imgsearch_collections WHERE id = %s", (self._collection_id,)
        )
        return int(rows[0][0] or 0) if rows else 0

    def _require_dim(self, vectors: Sequence[Vector]) -> None:
        core.check_dimensions(vectors, self._dim())

    # -- syncing with the disk ---------------------------------------------------------

    def files_under(self, roots: Sequence[str]) -> list[records.StoredFile]:
        clause, params = core.under_clause(roots, POSTGRES)
        rows = self._rows(
            "SELECT id, path, size, mtime_ns, digest, vector IS NOT NULL, width, height, "
            "thumbprint IS NOT NULL, sidecar_mtime_ns FROM imgsearch_images "
            f'WHERE collection_id = %s AND {clause} ORDER BY path COLLATE "C"',
            [self._collection_id, *params],
        )
        return [
            records.StoredFile(
                r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], bool(r[8]), int(r[9])
            )
            for r in rows
        ]

    def has_vector_for(self, digest: str) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM imgsearch_images WHERE collection_id = %s AND digest = %s "
                "AND vector IS NOT NULL LIMIT 1",
                (self._collection_id, digest),
            )
        )

    def vector_for(self, digest: str) -> Vector | None:
        rows = self._rows(
            "SELECT vector FROM imgsearch_images WHERE collection_id = %s AND digest = %s "
            "AND vector IS NOT NULL ORDER BY id LIMIT 1",
            (self._collection_id, digest),
        )
        return None if not rows else as_vector(rows[0][0])

    def failures(
        self, roots: Sequence[str] | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[records.Failure]:
        clause, params = core.under_clause(roots, POSTGRES)
        rows = self._rows(
            "SELECT path, size, mtime_ns, code, message, seen_at FROM imgsearch_failures "
            f'WHERE collection_id = %s AND {clause} ORDER BY path COLLATE "C" LIMIT %s OFFSET %s',
            [self._collection_id, *params, limit, offset],
        )
        return [records.Failure(*row) for row in rows]

    def write(self, batch: records.WriteBatch) -> list[int]:
        self._require_dim(
            [item.vector for item in batch.images if item.vector is not None]
            + batch.region_vectors()
        )
        ids: list[int] = []
        if not batch:
            return ids
        now = time.time()
        c = self._collection_id
        with self._transaction() as tx:
            ids = write_batch(tx, c, batch, now)
        self._images.written(any(item.vector is not None for item in batch.images))
        if batch.regions or batch.deletes:
            self._regions.written(True)
        return ids

    def record_run(self, run: records.Run, run_id: int | None = None) -> int:
        with self._transaction() as tx:
            return core.save_run(
                tx, POSTGRES, "imgsearch_runs", run, run_id, ("collection_id", self._collection_id)
            )

    # -- reading ----------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[records.ImageRecord]:
        wanted = [int(i) for i in ids if 0 < int(i) < 2**63]
        rows = self._rows(
            f"SELECT {core.RECORD_COLUMNS} FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s)",
            (self._collection_id, wanted),
        )
        found = {row[0]: _record(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def find_path(self, path: str) -> records.ImageRecord | None:
        rows = self._rows(
            f"SELECT {core.RECORD_COLUMNS} FROM imgsearch_images WHERE collection_id = %s AND path = %s",
            (self._collection_id, path),
        )
        return _record(rows[0]) if rows else None

    def paths_from(self, key: str, limit: int) -> list[str]:
        # ~>=~ and USING ~<~ compare byte-wise, as the text_pattern_ops index is ordered
        rows = self._rows(
            "SELECT path FROM imgsearch_images WHERE collection_id = %s AND path ~>=~ %s "
            "ORDER BY path USING ~<~ LIMIT %s",
            (self._collection_id, key, limit),
        )
        return [row[0] for row in rows]

    def browse(
        self, filters: Filters, labels: Sequence[str], order: str, limit: int, offset: int
    ) -> tuple[list[int], int]:
        return browsing.listing(self._rows, self._browse, filters, labels, order, limit, offset)

    def facets(
        self, filters: Filters, labels: Sequence[str], base: str, utc_offset: float
    ) -> browsing.Facets:
        return browsing.facets(self._rows, self._browse, filters, labels, base, utc_offset)

    def vectors(self, ids: Sequence[int]) -> Vector:
        rows = self._rows(
            "SELECT id, vector FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s) "
            "AND vector IS NOT NULL",
            (self._collection_id, [int(i) for i in ids]),
        )
        return core.stack_vectors(ids, {row[0]: row[1] for row in rows}, self._dim(), as_vector)

    def thumbprints(self, ids: Sequence[int]) -> dict[int, bytes]:
        rows = self._rows(
            "SELECT id, thumbprint FROM imgsearch_images WHERE collection_id = %s "
            "AND id = ANY(%s) AND thumbprint IS NOT NULL",
            (self._collection_id, [int(i) for i in ids]),
        )
        return {int(row[0]): bytes(row[1]) for row in rows}

    def set_thumbprints(self, prints: Mapping[int, bytes]) -> None:
        with self._connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE imgsearch_images SET thumbprint = %s WHERE collection_id = %s AND id = %s",
                [(packed, self._collection_id, i) for i, packed in prints.items()],
            )

    def sample_images(self, size: int) -> tuple[list[int], int]:
        c = self._collection_id
        ids = self._rows(
            "SELECT id FROM imgsearch_images WHERE collection_id = %s AND vector IS NOT NULL "
            f"ORDER BY {core.SAMPLE_ORDER.replace('%', '%%')} LIMIT %s",
            (c, size),
        )
        # the vectors' count the search keeps (read at most every few seconds): counting
        # them here too would scan the collection on every sample read
        return [int(row[0]) for row in ids], self._images.state()[1]

    def annotate(self, image_id: int, *, caption: str | None, tags: Sequence[str]) -> None:
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE imgsearch_images SET caption = %s, tags = %s "
                "WHERE collection_id = %s AND id = %s",
                (caption, json.dumps(list(tags)), self._collection_id, image_id),
            )
            if cursor.rowcount == 0:
                raise NotIndexed(f"no image with id {image_id} in {self.location}")
            write_terms(tx, self._collection_id, [image_id])

    def stats(self) -> records.StoreStats:
        c = self._collection_id
        by_kind = self._rows(
            "SELECT kind, count(*), count(vector) FROM imgsearch_images "
            "WHERE collection_id = %s GROUP BY kind ORDER BY kind",
            (c,),
        )
        kinds = {str(kind): int(count) for kind, count, _ in by_kind}
        images, vectors = sum(kinds.values()), sum(int(row[2]) for row in by_kind)
        failures = self._rows(
            "SELECT count(*) FROM imgsearch_failures WHERE collection_id = %s", (c,)
        )[0][0]
        regions = self._rows(
            "SELECT count(*) FROM imgsearch_regions WHERE collection_id = %s", (c,)
        )[0][0]
        with self._connection() as conn:
            size = citus.total_size(conn, self.on_citus)
        rows = self._rows(
            f"SELECT {core.LAST_RUN_COLUMNS} FROM imgsearch_runs WHERE collection_id = %s "
            "ORDER BY id DESC LIMIT 1",
            (c,),
        )
        last_run = core.run_from_row(rows[0] if rows else None)
        mode = "pgvector-hnsw" if vectors >= self._images.graph.threshold else "pgvector-exact"
        return records.StoreStats(
            images, vectors, int(failures), int(size), self.settings(), last_run, mode,
            int(regions), kinds.get("video", 0), kinds,
        )  # fmt: skip

    # -- searching ---------------------------------------------------------------------

    def nearest(
        self, query: Vector, k: int, filters: Filters = Filters(), *, exact: bool = False
    ) -> list[tuple[int, float]]:
        return nearest_images(self._images, query, k, filters, exact)

    def metadata_matches(
        self, text: str, limit: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        terms = query_terms(text)
        if not terms or limit <= 0:
            return []
        clause, params = core.filter_clause(filters, POSTGRES, "i")
        c = self._collection_id
        # Scores come from the terms table alone (it repeats each document's length), so
        # the plan stays an index range scan per query term whatever the statistics say;
        # the images table is then only probed by primary key for the filters.
        rows = self._rows(BM25_QUERY.format(clause=clause), [c, c, terms, c, c, *params, limit])
        return [(int(r[0]), float(r[1])) for r in rows]


def _record(row: Sequence[Any]) -> records.ImageRecord:
    return records.record_from_row(row, row[-1] or ())
