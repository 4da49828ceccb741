"""The PostgreSQL + pgvector store: the same contract as the embedded store, on a server.

Selected by a URL, ``postgresql://user@host/db`` (``?collection=NAME`` picks
one of several indexes in the database; default ``default``). Every table
carries ``collection_id`` in its keys, the column a Citus cluster would
distribute by (see docs/scaling.md).

- vectors live in a ``vector`` column; each collection has its own partial
  HNSW index on ``vector::vector(dim)`` with cosine ops, created when the
  collection is bound to a model (m and ef_construction configurable);
- search asks PostgreSQL for candidates (HNSW, or an exact scan when the
  collection is small, the query is ``exact``, or the index cannot find k
  rows under a selective filter: pgvector before 0.8 filters after the index
  scan), then re-scores them in float32 from the stored vectors, so cosines
  and their order are exactly the embedded store's;
- the metadata score is BM25 over the same tokens as the embedded store's
  FTS5 (:mod:`imgsearch.store.terms`), computed in SQL;
- every batch is one transaction of upserts keyed by (collection, path), so a
  repeated batch after a crash updates rather than duplicates; binding and
  re-embedding take a per-collection advisory lock.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from imgsearch.errors import NotIndexed, StoreError, StoreUnavailable
from imgsearch.store.core import check_binding, check_dimensions
from imgsearch.store.pg_migrations import migrate
from imgsearch.store.records import (
    Failure,
    Filters,
    ImageFacts,
    ImageRecord,
    IndexSettings,
    Run,
    StoredFile,
    StoreStats,
    Vector,
    WriteBatch,
    record_from_row,
)
from imgsearch.store.terms import K1, B, query_terms, term_counts
from imgsearch.store.text import metadata_text

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_COLLECTION = "default"
EXACT_BELOW = 50_000  # like the embedded store: exact search below this many vectors
CANDIDATE_MARGIN = 16  # extra candidates re-scored in float32, so near-ties order exactly
MAX_EF_SEARCH = 1000  # pgvector's limit
STATE_SECONDS = 5.0
_FACTS = (
    "path, size, mtime_ns, digest, width, height, format, captured_at, camera, latitude, longitude"
)
_RECORD = f"id, {_FACTS}, caption, tags"


def is_postgres_url(location: str) -> bool:
    return location.startswith(URL_SCHEMES)


def split_url(url: str) -> tuple[str, str]:
    """``(connection URL, collection)``: ``collection`` is imgsearch's, not libpq's, parameter."""
    base, _, query_string = url.partition("?")
    query = parse_qsl(query_string, keep_blank_values=True)
    collection = next((v for k, v in query if k == "collection"), DEFAULT_COLLECTION)
    rest = urlencode([(k, v) for k, v in query if k != "collection"], safe="/")
    return base + ("?" + rest if rest else ""), collection or DEFAULT_COLLECTION


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
        pool_size: int = 1,
    ) -> None:
        import psycopg
        from pgvector.psycopg import register_vector

        conninfo, self.collection = split_url(url)
        self.location = redact(url)
        self._hnsw_threshold = hnsw_threshold
        self._m, self._ef_construction = hnsw_m, hnsw_ef_construction
        self._build_memory_mb = hnsw_build_memory_mb
        self._lock = threading.RLock()
        self._state: tuple[float, int, int] | None = None  # (read at, dim, vectors)
        self._index_built = False
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.ProgrammingError as exc:
            raise StoreError(
                f"bad PostgreSQL URL {self.location}: {exc}".splitlines()[0],
                hint="use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?collection=NAME]",
            ) from None
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {self.location}: {exc}".splitlines()[0],
                hint="is the server running and the URL right?",
            ) from None
        try:
            self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            self._conn.close()
            raise StoreError(
                f"the pgvector extension is not available in {self.location}: {exc}".splitlines()[
                    0
                ],
                hint="install pgvector on the server (https://github.com/pgvector/pgvector) "
                "or ask an administrator to run CREATE EXTENSION vector",
            ) from None
        register_vector(self._conn)
        migrate(self._conn)
        self._pool: Any = None  # set last: setup runs on the first connection
        self._collection_id = self._find_collection(create)
        if pool_size > 1:
            # A server answers requests on several threads: each borrows its own
            # connection instead of queueing on this one.
            from psycopg_pool import ConnectionPool

            self._pool = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "connect_timeout": 10},
                configure=register_vector,
                name=f"imgsearch-{self.collection}",
                open=True,
            )

    # -- plumbing -------------------------------------------------------------------

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        with self._lock:
            self._conn.close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection for this thread: from the pool, or the one shared under a lock."""
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
            row = tx.execute(
                "SELECT id FROM imgsearch_collections WHERE name = %s", (self.collection,)
            ).fetchone()
            if row is not None:
                return int(row[0])
            if not create:
                from imgsearch.errors import IndexNotFound

                raise IndexNotFound(
                    f"no collection {self.collection!r} in {self.location}",
                    hint="index a folder into it first",
                )
            row = tx.execute(
                "INSERT INTO imgsearch_collections (name) VALUES (%s) "
                "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                (self.collection,),
            ).fetchone()
            return int(row[0])

    # -- the model guard -------------------------------------------------------------

    def settings(self) -> IndexSettings | None:
        rows = self._rows(
            "SELECT model_id, dim, preprocessing, model_source FROM imgsearch_collections "
            "WHERE id = %s",
            (self._collection_id,),
        )
        if not rows or rows[0][0] is None:
            return None
        model_id, dim, preprocessing, source = rows[0]
        return IndexSettings(model_id, int(dim), preprocessing or "", source or model_id)

    def bind(self, settings: IndexSettings, *, reembed: bool = False) -> None:
        with self._transaction() as tx:
            self._state = None
            self._index_built = False
            tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (7_301, self._collection_id))
            current, dim = tx.execute(
                "SELECT model_id, dim FROM imgsearch_collections WHERE id = %s FOR UPDATE",
                (self._collection_id,),
            ).fetchone()
            if current == settings.model_id and dim == settings.dim:
                if settings.source:
                    tx.execute(
                        "UPDATE imgsearch_collections SET model_source = %s WHERE id = %s",
                        (settings.source, self._collection_id),
                    )
                return
            if check_binding(self.location, current, dim, settings, reembed=reembed):
                tx.execute(
                    "UPDATE imgsearch_images SET vector = NULL WHERE collection_id = %s",
                    (self._collection_id,),
                )
            # the HNSW index is built once the collection is large enough (see _ensure_index)
            tx.execute(f"DROP INDEX IF EXISTS {self._index_name}")
            tx.execute(
                "UPDATE imgsearch_collections SET model_id = %s, dim = %s, preprocessing = %s, "
                "model_source = %s WHERE id = %s",
                (
                    settings.model_id,
                    settings.dim,
                    settings.preprocessing,
                    settings.source or settings.model_id,
                    self._collection_id,
                ),
            )

    @property
    def _index_name(self) -> str:
        return f"imgsearch_images_hnsw_{int(self._collection_id)}"

    def _ensure_index(self) -> None:
        """Build the collection's HNSW index when it first holds ``hnsw_threshold`` vectors.

        Below that, exact scans are fast and every insert skips the graph update
        (pgvector's most expensive write); one bulk build is far cheaper than
        inserting row by row. Once built, the index follows every write.
        """
        dim, count = self._search_state()
        if dim == 0 or count < self._hnsw_threshold or self._index_built:
            return
        with self._transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (7_301, self._collection_id))
            exists = tx.execute("SELECT to_regclass(%s)", (self._index_name,)).fetchone()[0]
            if exists is None:
                # pgvector builds fast only while the graph fits in maintenance_work_mem
                # (100k 512-d vectors: 32 s in memory, over 6 minutes spilling at 64 MB)
                per_vector = 4 * dim + 48 * self._m
                memory_mb = min(
                    self._build_memory_mb, 64 + math.ceil(1.3 * count * per_vector / 2**20)
                )
                tx.execute(f"SET LOCAL maintenance_work_mem = '{int(memory_mb)}MB'")
                tx.execute(
                    f"CREATE INDEX {self._index_name} ON imgsearch_images USING hnsw "
                    f"((vector::vector({int(dim)})) vector_cosine_ops) "
                    f"WITH (m = {int(self._m)}, ef_construction = {int(self._ef_construction)}) "
                    # the dims test keeps a re-embedded collection's old (dead) rows out
                    f"WHERE collection_id = {int(self._collection_id)} "
                    f"AND vector_dims(vector) = {int(dim)}"
                )
                # Fresh statistics, or the planner (still believing the table nearly empty
                # after a bulk load, until autovacuum gets to it) sorts a btree scan instead.
                tx.execute("ANALYZE imgsearch_images")
        self._index_built = True

    def _dim(self) -> int:
        rows = self._rows(
            "SELECT dim FROM imgsearch_collections WHERE id = %s", (self._collection_id,)
        )
        return int(rows[0][0] or 0) if rows else 0

    def _require_dim(self, vectors: Sequence[Vector]) -> None:
        check_dimensions(vectors, self._dim())

    # -- syncing with the disk ---------------------------------------------------------

    def files_under(self, roots: Sequence[str]) -> list[StoredFile]:
        clause, params = _under_clause(roots)
        rows = self._rows(
            "SELECT id, path, size, mtime_ns, digest, vector IS NOT NULL FROM imgsearch_images "
            f'WHERE collection_id = %s AND {clause} ORDER BY path COLLATE "C"',
            [self._collection_id, *params],
        )
        return [StoredFile(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

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
        return None if not rows else _array(rows[0][0])

    def failures(self, roots: Sequence[str] | None = None) -> list[Failure]:
        clause, params = _under_clause(roots) if roots else ("TRUE", [])
        rows = self._rows(
            "SELECT path, size, mtime_ns, code, message, seen_at FROM imgsearch_failures "
            f'WHERE collection_id = %s AND {clause} ORDER BY path COLLATE "C"',
            [self._collection_id, *params],
        )
        return [Failure(*row) for row in rows]

    def write(self, batch: WriteBatch) -> list[int]:
        self._require_dim([item.vector for item in batch.images if item.vector is not None])
        ids: list[int] = []
        if not batch:
            return ids
        now = time.time()
        c = self._collection_id
        self._state = None
        with self._transaction() as tx:
            ids = self._write_images(tx, batch, now)
            if batch.deletes:
                tx.execute(
                    "DELETE FROM imgsearch_terms WHERE collection_id = %s AND image_id = ANY(%s)",
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
        if any(item.vector is not None for item in batch.images):
            self._ensure_index()
        return ids

    def _write_images(self, tx: Any, batch: WriteBatch, now: float) -> list[int]:
        """Upsert the batch's images with pipelined statements; ids in batch order."""
        c = self._collection_id
        items = batch.images
        ids: list[int | None] = [None] * len(items)

        def values(facts: ImageFacts) -> tuple[Any, ...]:
            return (
                facts.path, facts.size, facts.mtime_ns, facts.digest, facts.width, facts.height,
                facts.format, facts.captured_at, facts.camera, facts.latitude, facts.longitude,
            )  # fmt: skip

        def vector(item: Any) -> Any:
            if item.vector is None:
                return None
            return np.ascontiguousarray(item.vector, dtype=np.float32)

        def collect(cursor: Any, positions: list[int]) -> None:
            for position in positions:
                row = cursor.fetchone()
                if row is not None:
                    ids[position] = int(row[0])
                cursor.nextset()

        assignments = ", ".join(f"{name.strip()} = %s" for name in _FACTS.split(","))
        with tx.cursor() as cursor:
            moved = [n for n, item in enumerate(items) if item.id is not None]
            if moved:
                cursor.executemany(
                    f"UPDATE imgsearch_images SET {assignments}, indexed_at = %s, "
                    "vector = coalesce(%s, vector) WHERE collection_id = %s AND id = %s "
                    "RETURNING id",
                    [
                        (*values(items[n].facts), now, vector(items[n]), c, items[n].id)
                        for n in moved
                    ],
                    returning=True,
                )
                collect(cursor, moved)
            fresh = [n for n in range(len(items)) if ids[n] is None]
            if fresh:
                updates = ", ".join(
                    f"{name.strip()} = excluded.{name.strip()}" for name in _FACTS.split(",")
                )
                cursor.executemany(
                    f"INSERT INTO imgsearch_images (collection_id, {_FACTS}, indexed_at, vector, "
                    "doc_len) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    f"ON CONFLICT (collection_id, path) DO UPDATE SET {updates}, "
                    "indexed_at = excluded.indexed_at, "
                    "vector = coalesce(excluded.vector, imgsearch_images.vector) RETURNING id",
                    [
                        (c, *values(items[n].facts), now, vector(items[n]), _length(items[n].facts))
                        for n in fresh
                    ],
                    returning=True,
                )
                collect(cursor, fresh)
        written = [int(i) for i in ids if i is not None]
        if len(written) != len(items):
            raise StoreError("an image row could not be written")
        self._write_terms(tx, written)
        return written

    def _write_terms(self, tx: Any, image_ids: list[int]) -> None:
        """Recompute the BM25 terms (and document lengths) of ``image_ids``."""
        if not image_ids:
            return
        c = self._collection_id
        rows = tx.execute(
            "SELECT id, path, camera, caption, tags FROM imgsearch_images "
            "WHERE collection_id = %s AND id = ANY(%s)",
            (c, image_ids),
        ).fetchall()
        tx.execute(
            "DELETE FROM imgsearch_terms WHERE collection_id = %s AND image_id = ANY(%s)",
            (c, image_ids),
        )
        lengths: list[tuple[int, int]] = []
        with (
            tx.cursor() as cursor,
            cursor.copy(
                "COPY imgsearch_terms (collection_id, image_id, term, tf, doc_len) FROM STDIN"
            ) as copy,
        ):
            for image_id, path, camera, caption, tags in rows:
                body = metadata_text(path, camera=camera, caption=caption, tags=tags or [])
                counts, length = term_counts(body)
                lengths.append((image_id, length))
                for term, tf in counts.items():
                    copy.write_row((c, image_id, term, tf, length))
        tx.execute(
            "UPDATE imgsearch_images SET doc_len = u.length "
            "FROM unnest(%s::bigint[], %s::integer[]) AS u(id, length) "
            "WHERE imgsearch_images.collection_id = %s AND imgsearch_images.id = u.id "
            # a new row version costs an HNSW insert: touch only rows whose length changed
            "AND imgsearch_images.doc_len IS DISTINCT FROM u.length",
            ([i for i, _ in lengths], [n for _, n in lengths], c),
        )

    def record_run(self, run: Run, run_id: int | None = None) -> int:
        counts = run.counts()
        values = (
            run.started_at,
            run.finished_at,
            json.dumps(list(run.roots)),
            json.dumps(counts),
            run.completed,
        )
        with self._transaction() as tx:
            if run_id is None:
                row = tx.execute(
                    "INSERT INTO imgsearch_runs (collection_id, started_at, finished_at, roots, "
                    "counts, completed) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    (self._collection_id, *values),
                ).fetchone()
                return int(row[0])
            tx.execute(
                "UPDATE imgsearch_runs SET started_at = %s, finished_at = %s, roots = %s, "
                "counts = %s, completed = %s WHERE collection_id = %s AND id = %s",
                (*values, self._collection_id, run_id),
            )
            return run_id

    # -- reading ----------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[ImageRecord]:
        wanted = [int(i) for i in ids if 0 < int(i) < 2**63]
        rows = self._rows(
            f"SELECT {_RECORD} FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s)",
            (self._collection_id, wanted),
        )
        found = {row[0]: _record(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def find_path(self, path: str) -> ImageRecord | None:
        rows = self._rows(
            f"SELECT {_RECORD} FROM imgsearch_images WHERE collection_id = %s AND path = %s",
            (self._collection_id, path),
        )
        return _record(rows[0]) if rows else None

    def vectors(self, ids: Sequence[int]) -> Vector:
        rows = self._rows(
            "SELECT id, vector FROM imgsearch_images WHERE collection_id = %s AND id = ANY(%s) "
            "AND vector IS NOT NULL",
            (self._collection_id, [int(i) for i in ids]),
        )
        found = {row[0]: row[1] for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(f"no vector stored for image ids {missing[:5]}")
        out = np.empty((len(ids), self._dim()), dtype=np.float32)
        for row, image_id in enumerate(ids):
            out[row] = _array(found[image_id])
        return out

    def annotate(self, image_id: int, *, caption: str | None, tags: Sequence[str]) -> None:
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE imgsearch_images SET caption = %s, tags = %s "
                "WHERE collection_id = %s AND id = %s",
                (caption, json.dumps(list(tags)), self._collection_id, image_id),
            )
            if cursor.rowcount == 0:
                raise NotIndexed(f"no image with id {image_id} in {self.location}")
            self._write_terms(tx, [image_id])

    def stats(self) -> StoreStats:
        c = self._collection_id
        images, vectors = self._rows(
            "SELECT count(*), count(vector) FROM imgsearch_images WHERE collection_id = %s", (c,)
        )[0]
        failures = self._rows(
            "SELECT count(*) FROM imgsearch_failures WHERE collection_id = %s", (c,)
        )[0][0]
        size = self._rows(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname LIKE 'imgsearch\\_%%' AND c.relkind = 'r'"
        )[0][0]
        rows = self._rows(
            "SELECT started_at, finished_at, roots, counts, completed FROM imgsearch_runs "
            "WHERE collection_id = %s ORDER BY id DESC LIMIT 1",
            (c,),
        )
        last_run = None
        if rows:
            started, finished, roots, counts, completed = rows[0]
            last_run = Run(started, finished, tuple(roots), completed=bool(completed), **counts)
        mode = "pgvector-hnsw" if vectors >= self._hnsw_threshold else "pgvector-exact"
        return StoreStats(
            int(images), int(vectors), int(failures), int(size), self.settings(), last_run, mode
        )

    # -- searching ---------------------------------------------------------------------

    def nearest(
        self, query: Vector, k: int, filters: Filters = Filters(), *, exact: bool = False
    ) -> list[tuple[int, float]]:
        dim, count = self._search_state()
        if k <= 0 or dim == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32)
        clause, params = _filter_clause(filters)
        wanted = k + CANDIDATE_MARGIN
        use_index = not exact and count >= self._hnsw_threshold
        ef = max(40, 2 * wanted)
        while True:
            rows = self._candidates(
                q, dim, clause, params, wanted, use_index, min(ef, MAX_EF_SEARCH)
            )
            if not use_index or len(rows) >= wanted:
                break
            # pgvector < 0.8 filters after the index scan: a selective filter leaves fewer
            # than k of the ef rows it walked. Their share estimates the filter's pass rate:
            # widen the beam to what should yield k, or, past pgvector's limit, scan the
            # rows the filter selects exactly (through the filter indexes).
            needed = MAX_EF_SEARCH + 1 if not rows else math.ceil(1.5 * wanted * ef / len(rows))
            if needed > MAX_EF_SEARCH or ef == MAX_EF_SEARCH:
                use_index = False
            ef = min(max(needed, 2 * ef), MAX_EF_SEARCH)
        if not rows:
            return []
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        scores = np.stack([_array(r[1]) for r in rows]) @ q
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def _search_state(self) -> tuple[int, int]:
        """(dim, number of vectors), re-read at most every few seconds: counting is a scan."""
        now = time.monotonic()
        if self._state is None or now - self._state[0] > STATE_SECONDS:
            dim, count = self._rows(
                "SELECT c.dim, (SELECT count(*) FROM imgsearch_images i "
                "WHERE i.collection_id = c.id AND i.vector IS NOT NULL) "
                "FROM imgsearch_collections c WHERE c.id = %s",
                (self._collection_id,),
            )[0]
            self._state = (now, int(dim or 0), int(count))
        return self._state[1], self._state[2]

    def _candidates(
        self,
        query: Vector,
        dim: int,
        clause: str,
        params: list[Any],
        limit: int,
        use_index: bool,
        ef_search: int,
        *,
        explain: bool = False,
    ) -> list[Any]:
        """The ``limit`` nearest rows passing ``clause``; ``explain`` returns the plan instead."""
        with self._transaction() as tx:
            if use_index:
                tx.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
                # Without a sort, only the HNSW scan yields rows in distance order: the
                # planner cannot fall back to btree-scan-then-sort on stale statistics.
                tx.execute("SET LOCAL enable_sort = off")
                tx.execute("SET LOCAL enable_seqscan = off")
            # An exact scan orders by distance + 0, which no HNSW index can produce, so
            # the planner scans the rows the filter selects (by index when one fits) and
            # sorts them.
            order = "" if use_index else " + 0"
            return list(
                tx.execute(
                    # Literals, not parameters, for the collection and dim: a generic plan
                    # (psycopg prepares repeated statements) must still match the partial
                    # index's predicate. Only distance orders the index scan; ties among
                    # the candidates are ordered by id after re-scoring.
                    f"{'EXPLAIN ' if explain else ''}SELECT id, vector FROM imgsearch_images "
                    f"WHERE collection_id = {int(self._collection_id)} "
                    f"AND vector_dims(vector) = {dim} AND {clause} "
                    f"ORDER BY (vector::vector({dim}) <=> %s::vector({dim})){order} LIMIT %s",
                    [*params, query, limit],
                    # never a cached plan: whether the HNSW index may be used is decided by
                    # the SET LOCALs above, which a prepared plan would ignore
                    prepare=False,
                    binary=True,  # vectors as float4 bytes: parsing their text costs more than the search
                ).fetchall()
            )

    def metadata_matches(
        self, text: str, limit: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        terms = query_terms(text)
        if not terms or limit <= 0:
            return []
        clause, params = _filter_clause(filters, table="i")
        c = self._collection_id
        # Scores come from the terms table alone (it repeats each document's length), so
        # the plan stays an index range scan per query term whatever the statistics say;
        # the images table is then only probed by primary key for the filters.
        rows = self._rows(
            "WITH stats AS MATERIALIZED (SELECT count(*)::float8 AS n, "
            "coalesce(avg(doc_len), 0)::float8 AS avglen FROM imgsearch_images "
            "WHERE collection_id = %s), "
            "df AS MATERIALIZED (SELECT term, count(*)::float8 AS nt FROM imgsearch_terms "
            "WHERE collection_id = %s AND term = ANY(%s) GROUP BY term), "
            "idf AS MATERIALIZED (SELECT df.term, "
            "greatest(ln((stats.n - df.nt + 0.5) / (df.nt + 0.5)), 0) AS raw FROM df, stats), "
            "scored AS MATERIALIZED (SELECT t.image_id, "
            f"sum(CASE WHEN idf.raw <= 0 THEN 1e-6 ELSE idf.raw END * (t.tf * {K1 + 1}) / "
            f"(t.tf + {K1} * (1 - {B} + {B} * t.doc_len / greatest(stats.avglen, 1e-9)))) AS score "
            "FROM idf JOIN imgsearch_terms t ON t.collection_id = %s AND t.term = idf.term "
            "CROSS JOIN stats GROUP BY t.image_id) "
            "SELECT i.id, s.score FROM scored s JOIN imgsearch_images i "
            "ON i.collection_id = %s AND i.id = s.image_id "
            f"WHERE i.vector IS NOT NULL AND {clause} "
            "ORDER BY s.score DESC, i.id LIMIT %s",
            [c, c, terms, c, c, *params, limit],
        )
        return [(int(r[0]), float(r[1])) for r in rows]


def _length(facts: ImageFacts) -> int:
    """Token count of a new image's metadata (no caption or tags yet)."""
    return term_counts(metadata_text(facts.path, camera=facts.camera))[1]


def _array(value: Any) -> Vector:
    """pgvector's adapter returns ``Vector`` objects (newer) or arrays (older)."""
    array = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(array, dtype=np.float32)


def redact(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _record(row: Sequence[Any]) -> ImageRecord:
    return record_from_row(row, row[13] or ())


def _under_clause(roots: Sequence[str] | None, table: str = "") -> tuple[str, list[Any]]:
    if not roots:
        return "TRUE", []
    column = f"{table}.path" if table else "path"
    parts, params = [], []
    for root in roots:
        base = root.rstrip("/")
        # "base/" <= path < "base0" byte-wise ('0' follows '/') is the prefix as a range the
        # text_pattern_ops index can scan; starts_with keeps the test exact on its own
        parts.append(f"({column} ~>=~ %s AND {column} ~<~ %s AND starts_with({column}, %s))")
        params += [base + "/", base + "0", base + "/"]
    return "(" + " OR ".join(parts) + ")", params


def _filter_clause(filters: Filters, table: str = "") -> tuple[str, list[Any]]:
    prefix = f"{table}." if table else ""
    clause, params = _under_clause(filters.under, table)
    parts = [clause]
    sort_time = f"coalesce({prefix}captured_at, {prefix}mtime_ns / 1e9)"
    if filters.after is not None:
        parts.append(f"{sort_time} >= %s")
        params.append(filters.after)
    if filters.before is not None:
        parts.append(f"{sort_time} < %s")
        params.append(filters.before)
    if filters.formats:
        parts.append(f"{prefix}format = ANY(%s)")
        params.append(list(filters.formats))
    if filters.min_width is not None:
        parts.append(f"{prefix}width >= %s")
        params.append(filters.min_width)
    if filters.min_height is not None:
        parts.append(f"{prefix}height >= %s")
        params.append(filters.min_height)
    return " AND ".join(parts), params
