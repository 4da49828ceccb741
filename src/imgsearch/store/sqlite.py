"""The embedded store: one folder with a SQLite database and a vector index beside it.

SQLite (WAL mode) is the source of truth for images, vectors, failures and
runs; readers never block the indexer and see each committed batch. The
in-memory :class:`~imgsearch.store.vector_index.VectorIndex` is derived from
it and kept in step through a revision counter: every write that changes
vectors bumps ``rev``, stamps the rows it wrote (``vec_rev``) and leaves a
tombstone for each removed id, so a reader catches up by reading only what
changed since its own revision. The HNSW graph of a large index is saved next
to the database with the revision it reflects and, when stale, caught up the
same way — or rebuilt from SQLite when missing or unreadable.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from imgsearch.errors import IndexNotFound, NotIndexed, StoreError
from imgsearch.store.core import check_binding, check_dimensions
from imgsearch.store.migrations import migrate
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
from imgsearch.store.rwlock import ReadWriteLock
from imgsearch.store.text import match_expression, metadata_text
from imgsearch.store.vector_index import DEFAULT_HNSW_THRESHOLD, HnswParams, VectorIndex

DATABASE = "index.db"
_CHUNK = 10_000  # ids per IN (...) list, well under SQLite's variable limit
_FACT_COLUMNS = (
    "path, size, mtime_ns, digest, width, height, format, captured_at, camera, latitude, longitude"
)
_RECORD_COLUMNS = f"id, {_FACT_COLUMNS}, caption, tags"


def _connect(database: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(
            database, isolation_level=None, timeout=60, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the index database {database}: {exc}") from None
    return connection


class SqliteStore:
    """The embedded store in ``folder`` (created when ``create`` is true)."""

    def __init__(
        self,
        folder: str | Path,
        *,
        create: bool = True,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        hnsw: HnswParams = HnswParams(),
    ) -> None:
        self.folder = Path(folder).expanduser().resolve()
        self.location = str(self.folder)
        database = self.folder / DATABASE
        if not database.exists():
            if not create:
                raise IndexNotFound(
                    f"no index at {self.folder}",
                    hint="index a folder first, or open the index where it was made",
                )
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the index folder {self.folder}: {exc}") from None
        self._conn = _connect(database)
        self._database = database
        migrate(self._conn)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._vectors_lock = ReadWriteLock()
        self._hnsw_threshold = hnsw_threshold
        self._hnsw = hnsw
        self._vectors: VectorIndex | None = None
        self._vectors_stamp = (-1, -1)  # (generation, rev) the vector index reflects
        self._vectors_dirty = False

    # -- plumbing -------------------------------------------------------------------

    def close(self) -> None:
        """Save the HNSW graph if it moved on, and close the database."""
        if self._vectors is not None and self._vectors_dirty and self._vectors.mode == "hnsw":
            generation, rev = self._vectors_stamp
            self._vectors.save(self.folder, f"{generation}:{rev}")
            self._vectors_dirty = False
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction (on this thread's reader): every query inside sees the same
        committed state."""
        db = self._reader()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def _setting(self, key: str, connection: sqlite3.Connection | None = None) -> str | None:
        row = (
            (connection or self._conn)
            .execute("SELECT value FROM settings WHERE key = ?", (key,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def _put_setting(self, connection: sqlite3.Connection, key: str, value: object) -> None:
        connection.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, str(value)),
        )

    def _reader(self) -> sqlite3.Connection:
        """A connection for the calling thread: searches on server threads read
        concurrently (WAL), never inside another thread's transaction."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = _connect(self._database)
            self._local.connection = connection
            with self._readers_lock:
                self._readers.append(connection)
        return connection

    # -- the model guard -------------------------------------------------------------

    def settings(self) -> IndexSettings | None:
        model_id = self._setting("model_id")
        if model_id is None:
            return None
        return IndexSettings(
            model_id=model_id,
            dim=int(self._setting("dim") or 0),
            preprocessing=self._setting("preprocessing") or "",
            source=self._setting("model_source") or model_id,
        )

    def bind(self, settings: IndexSettings, *, reembed: bool = False) -> None:
        with self._transaction() as tx:
            current = self._setting("model_id", tx)
            dim = int(self._setting("dim", tx) or 0)
            if current == settings.model_id and dim == settings.dim:
                if settings.source:
                    self._put_setting(tx, "model_source", settings.source)
                return
            if check_binding(self.location, current, dim, settings, reembed=reembed):
                tx.execute("UPDATE images SET vector = NULL, vec_rev = 0")
                tx.execute("DELETE FROM tombstones")
                generation = int(self._setting("generation", tx) or 0) + 1
                self._put_setting(tx, "generation", generation)
            self._put_setting(tx, "model_id", settings.model_id)
            self._put_setting(tx, "dim", settings.dim)
            self._put_setting(tx, "preprocessing", settings.preprocessing)
            self._put_setting(tx, "model_source", settings.source or settings.model_id)

    def _require_dim(self, vectors: Sequence[Vector]) -> None:
        check_dimensions(vectors, int(self._setting("dim") or 0))

    # -- syncing with the disk ---------------------------------------------------------

    def files_under(self, roots: Sequence[str]) -> list[StoredFile]:
        clause, params = _under_clause(roots)
        rows = self._conn.execute(
            "SELECT id, path, size, mtime_ns, digest, vector IS NOT NULL FROM images "
            f"WHERE {clause} ORDER BY path",
            params,
        ).fetchall()
        return [StoredFile(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def has_vector_for(self, digest: str) -> bool:
        row = (
            self._reader()
            .execute("SELECT 1 FROM images WHERE digest = ? AND vector IS NOT NULL", (digest,))
            .fetchone()
        )
        return row is not None

    def vector_for(self, digest: str) -> Vector | None:
        row = self._conn.execute(
            "SELECT vector FROM images WHERE digest = ? AND vector IS NOT NULL LIMIT 1", (digest,)
        ).fetchone()
        return None if row is None else np.frombuffer(row[0], dtype=np.float32).copy()

    def failures(self, roots: Sequence[str] | None = None) -> list[Failure]:
        clause, params = _under_clause(roots) if roots else ("1", [])
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, code, message, seen_at FROM failures "
            f"WHERE {clause} ORDER BY path",
            params,
        ).fetchall()
        return [Failure(*row) for row in rows]

    def write(self, batch: WriteBatch) -> list[int]:
        self._require_dim([item.vector for item in batch.images if item.vector is not None])
        ids: list[int] = []
        if not batch:
            return ids
        now = time.time()
        with self._transaction() as tx:
            rev = int(self._setting("rev", tx) or 0) + 1
            for item in batch.images:
                ids.append(self._write_image(tx, item.facts, item.vector, item.id, rev, now))
            for start in range(0, len(batch.deletes), _CHUNK):
                chunk = batch.deletes[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                tx.execute(f"DELETE FROM images WHERE id IN ({marks})", chunk)
                tx.execute(f"DELETE FROM images_fts WHERE rowid IN ({marks})", chunk)
                tx.executemany(
                    "INSERT INTO tombstones (id, rev) VALUES (?, ?)", [(i, rev) for i in chunk]
                )
            tx.executemany(
                "INSERT INTO failures (path, size, mtime_ns, code, message, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, code = excluded.code, "
                "message = excluded.message, seen_at = excluded.seen_at",
                [
                    (f.path, f.size, f.mtime_ns, f.code, f.message, f.seen_at or now)
                    for f in batch.failures
                ],
            )
            tx.executemany("DELETE FROM failures WHERE path = ?", [(p,) for p in batch.resolved])
            self._put_setting(tx, "rev", rev)
        return ids

    def _write_image(
        self,
        tx: sqlite3.Connection,
        facts: ImageFacts,
        vector: Vector | None,
        image_id: int | None,
        rev: int,
        now: float,
    ) -> int:
        values = (
            facts.path,
            facts.size,
            facts.mtime_ns,
            facts.digest,
            facts.width,
            facts.height,
            facts.format,
            facts.captured_at,
            facts.camera,
            facts.latitude,
            facts.longitude,
        )
        if image_id is None:
            row = tx.execute("SELECT id FROM images WHERE path = ?", (facts.path,)).fetchone()
            image_id = None if row is None else int(row[0])
        if image_id is None:
            cursor = tx.execute(
                f"INSERT INTO images ({_FACT_COLUMNS}, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, now),
            )
            image_id = int(cursor.lastrowid or 0)
        else:
            assignments = ", ".join(f"{name.strip()} = ?" for name in _FACT_COLUMNS.split(","))
            tx.execute(
                f"UPDATE images SET {assignments}, indexed_at = ? WHERE id = ?",
                (*values, now, image_id),
            )
        if vector is not None:
            blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
            tx.execute(
                "UPDATE images SET vector = ?, vec_rev = ? WHERE id = ?", (blob, rev, image_id)
            )
        self._write_text(tx, image_id)
        return image_id

    def _write_text(self, tx: sqlite3.Connection, image_id: int) -> None:
        path, camera, caption, tags = tx.execute(
            "SELECT path, camera, caption, tags FROM images WHERE id = ?", (image_id,)
        ).fetchone()
        body = metadata_text(path, camera=camera, caption=caption, tags=json.loads(tags))
        tx.execute("DELETE FROM images_fts WHERE rowid = ?", (image_id,))
        tx.execute("INSERT INTO images_fts (rowid, body) VALUES (?, ?)", (image_id, body))

    def record_run(self, run: Run, run_id: int | None = None) -> int:
        counts = run.counts()
        values = (
            run.started_at,
            run.finished_at,
            json.dumps(run.roots),
            json.dumps(counts),
            int(run.completed),
        )
        with self._transaction() as tx:
            if run_id is None:
                cursor = tx.execute(
                    "INSERT INTO runs (started_at, finished_at, roots, counts, completed) "
                    "VALUES (?, ?, ?, ?, ?)",
                    values,
                )
                return int(cursor.lastrowid or 0)
            tx.execute(
                "UPDATE runs SET started_at = ?, finished_at = ?, roots = ?, counts = ?, "
                "completed = ? WHERE id = ?",
                (*values, run_id),
            )
            return run_id

    # -- reading ----------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[ImageRecord]:
        found: dict[int, ImageRecord] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._reader().execute(
                f"SELECT {_RECORD_COLUMNS} FROM images WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = _record(row)
        return [found[i] for i in ids if i in found]

    def find_path(self, path: str) -> ImageRecord | None:
        row = (
            self._reader()
            .execute(f"SELECT {_RECORD_COLUMNS} FROM images WHERE path = ?", (path,))
            .fetchone()
        )
        return None if row is None else _record(row)

    def vectors(self, ids: Sequence[int]) -> Vector:
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for image_id, blob in self._reader().execute(
                f"SELECT id, vector FROM images WHERE id IN ({marks}) AND vector IS NOT NULL",
                chunk,
            ):
                found[image_id] = blob
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(f"no vector stored for image ids {missing[:5]}")
        dim = int(self._setting("dim", self._reader()) or 0)
        out = np.empty((len(ids), dim), dtype=np.float32)
        for row, image_id in enumerate(ids):
            out[row] = np.frombuffer(found[image_id], dtype=np.float32)
        return out

    def annotate(self, image_id: int, *, caption: str | None, tags: Sequence[str]) -> None:
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE images SET caption = ?, tags = ? WHERE id = ?",
                (caption, json.dumps(list(tags)), image_id),
            )
            if cursor.rowcount == 0:
                raise NotIndexed(f"no image with id {image_id} in {self.location}")
            self._write_text(tx, image_id)

    def stats(self) -> StoreStats:
        images, vectors = self._conn.execute(
            "SELECT count(*), count(vector) FROM images"
        ).fetchone()
        failures = self._conn.execute("SELECT count(*) FROM failures").fetchone()[0]
        size = sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
        row = self._conn.execute(
            "SELECT started_at, finished_at, roots, counts, completed FROM runs "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        last_run = None
        if row is not None:
            counts = json.loads(row[3])
            last_run = Run(
                row[0], row[1], tuple(json.loads(row[2])), completed=bool(row[4]), **counts
            )
        mode = "hnsw" if vectors >= self._hnsw_threshold else "exact"
        return StoreStats(images, vectors, failures, size, self.settings(), last_run, mode)

    # -- searching ---------------------------------------------------------------------

    def nearest(
        self, query: Vector, k: int, filters: Filters = Filters(), *, exact: bool = False
    ) -> list[tuple[int, float]]:
        self._sync_vectors()
        allowed = self._allowed_ids(filters) if filters.active else None
        with self._vectors_lock.reading():
            index = self._vectors
            assert index is not None
            ids, scores = index.search(query, k, allowed=allowed, exact=exact)
            mode = index.mode
        if mode == "hnsw" and len(ids):
            # The graph holds float16 copies; report float32 cosines from the database.
            scores = self.vectors([int(i) for i in ids]) @ np.asarray(query, dtype=np.float32)
            order = np.lexsort((ids, -scores))
            ids, scores = ids[order], scores[order]
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def metadata_matches(
        self, text: str, limit: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        expression = match_expression(text)
        if expression is None or limit <= 0:
            return []
        clause, params = _filter_clause(filters)
        rows = (
            self._reader()
            .execute(
                "SELECT images.id, -bm25(images_fts) AS score FROM images_fts "
                "JOIN images ON images.id = images_fts.rowid "
                f"WHERE images_fts MATCH ? AND images.vector IS NOT NULL AND {clause} "
                "ORDER BY score DESC, images.id LIMIT ?",
                (expression, *params, limit),
            )
            .fetchall()
        )
        return [(int(r[0]), float(r[1])) for r in rows]

    def _allowed_ids(self, filters: Filters) -> np.ndarray[Any, np.dtype[np.int64]]:
        clause, params = _filter_clause(filters)
        rows = (
            self._reader()
            .execute(f"SELECT id FROM images WHERE vector IS NOT NULL AND {clause}", params)
            .fetchall()
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vector_index(self) -> VectorIndex:
        """The in-memory vector index, caught up with the database."""
        return self._sync_vectors()

    def _sync_vectors(self) -> VectorIndex:
        """Catch the vector index up with the database (exclusively: searches wait)."""
        with self._snapshot() as db:
            stamp = (int(self._setting("generation", db) or 0), int(self._setting("rev", db) or 0))
        if stamp == self._vectors_stamp and self._vectors is not None:
            return self._vectors
        with self._vectors_lock.writing():
            return self._catch_up_vectors()

    def _catch_up_vectors(self) -> VectorIndex:
        with self._snapshot() as db:
            generation = int(self._setting("generation", db) or 0)
            rev = int(self._setting("rev", db) or 0)
            if (generation, rev) == self._vectors_stamp and self._vectors is not None:
                return self._vectors
            index = self._vectors if self._vectors_stamp[0] == generation else None
            since = self._vectors_stamp[1] if index is not None else 0
            if index is None:
                index, since = self._load_vectors(generation, rev)
            self._catch_up(db, index, since)
        self._vectors = index
        self._vectors_dirty = self._vectors_dirty or since != rev
        self._vectors_stamp = (generation, rev)
        return index

    def _load_vectors(self, generation: int, rev: int) -> tuple[VectorIndex, int]:
        dim = int(self._setting("dim", self._reader()) or 0)
        saved = VectorIndex.load(
            self.folder, dim, hnsw_threshold=self._hnsw_threshold, hnsw=self._hnsw
        )
        if saved is not None:
            index, stamp = saved
            saved_generation, _, saved_rev = stamp.partition(":")
            if (
                saved_generation == str(generation)
                and saved_rev.isdigit()
                and int(saved_rev) <= rev
            ):
                return index, int(saved_rev)
        return VectorIndex(dim, hnsw_threshold=self._hnsw_threshold, hnsw=self._hnsw), 0

    def _catch_up(self, db: sqlite3.Connection, index: VectorIndex, since: int) -> None:
        removed = [r[0] for r in db.execute("SELECT id FROM tombstones WHERE rev > ?", (since,))]
        index.remove(np.asarray(removed, dtype=np.int64))
        cursor = db.execute(
            "SELECT id, vector FROM images WHERE vec_rev > ? AND vector IS NOT NULL ORDER BY id",
            (since,),
        )
        while rows := cursor.fetchmany(_CHUNK):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            index.upsert(ids, matrix.reshape(len(rows), -1))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _record(row: Sequence[Any]) -> ImageRecord:
    return record_from_row(row, json.loads(row[13]))


def _under_clause(roots: Sequence[str] | None) -> tuple[str, list[Any]]:
    """Paths inside any of ``roots``, as a range scan the path index can serve."""
    if not roots:
        return "1", []
    parts, params = [], []
    for root in roots:
        prefix = root.rstrip("/") + "/"
        parts.append("(path >= ? AND path < ?)")
        params += [prefix, prefix[:-1] + "0"]  # '0' sorts right after '/'
    return "(" + " OR ".join(parts) + ")", params


def _filter_clause(filters: Filters) -> tuple[str, list[Any]]:
    clause, params = _under_clause(filters.under)
    parts = [clause]
    sort_time = "coalesce(captured_at, mtime_ns / 1e9)"
    if filters.after is not None:
        parts.append(f"{sort_time} >= ?")
        params.append(filters.after)
    if filters.before is not None:
        parts.append(f"{sort_time} < ?")
        params.append(filters.before)
    if filters.formats:
        parts.append(f"format IN ({','.join('?' * len(filters.formats))})")
        params.extend(filters.formats)
    if filters.min_width is not None:
        parts.append("width >= ?")
        params.append(filters.min_width)
    if filters.min_height is not None:
        parts.append("height >= ?")
        params.append(filters.min_height)
    return " AND ".join(parts), params
