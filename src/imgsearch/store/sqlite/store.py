"""The embedded store: SQLite (the source of truth) and an in-memory vector index.

See the package docstring (:mod:`imgsearch.store.sqlite`) for the design.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from imgsearch.errors import IndexNotFound, NotIndexed, StoreError
from imgsearch.store import browsing, core, records
from imgsearch.store.records import Filters, Vector
from imgsearch.store.region_rows import StoredRegions
from imgsearch.store.run_locks import file_run_lock
from imgsearch.store.sqlite.auto_tags import SqliteAutoTags
from imgsearch.store.sqlite.connect import ThreadReaders
from imgsearch.store.sqlite.connect import connect as _connect
from imgsearch.store.sqlite.migrations import migrate
from imgsearch.store.sqlite.queries import (
    BROWSE,
    SQLITE,
    allowed_images,
    allowed_regions,
    data_stamp,
    metadata_matches,
    sample_images,
)
from imgsearch.store.sqlite.read_text import SqliteTexts
from imgsearch.store.sqlite.settings import (
    SqliteDocuments,
    bind_index,
    get_setting,
    put_setting,
    read_settings,
)
from imgsearch.store.sqlite.vector_index import DEFAULT_HNSW_THRESHOLD, HnswParams, VectorIndex
from imgsearch.store.sqlite.vectors import SyncedVectors, VectorTable
from imgsearch.store.sqlite.write import CHUNK, region_table, write_batch, write_text

DATABASE = "index.db"


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
        migrate(self._conn)
        self._readers = ThreadReaders(database)
        self._hnsw_threshold = hnsw_threshold
        self._images = SyncedVectors(
            VectorTable("images", "tombstones", self.folder), hnsw_threshold, hnsw
        )
        self._regions = SyncedVectors(
            VectorTable("regions", "region_tombstones", self.folder / "regions", "image_id"),
            hnsw_threshold,
            hnsw,
        )
        self.documents = SqliteDocuments(self._reader, self._transaction)
        self.texts = SqliteTexts(self._reader)
        self.auto_tags = SqliteAutoTags(self._reader, self._transaction)
        self.regions = StoredRegions(
            lambda: nullcontext(self._reader()),
            region_table(0),
            lambda: int(self._setting("dim", self._reader()) or 0),
            lambda blob: np.frombuffer(blob, dtype=np.float32),
            self._nearest_regions,
        )

    # -- plumbing -------------------------------------------------------------------

    def run_lock(self, name: str, *, wait: bool = False) -> AbstractContextManager[None]:
        return file_run_lock(self.folder, self.location, name, wait)

    def thumbnail_folder(self, data_dir: Path) -> Path:
        """Beside the database, in the index's folder (see :meth:`Store.thumbnail_folder`)."""
        return self.folder / "thumbnails"

    def close(self) -> None:
        """Save the HNSW graph if it moved on, and close the database."""
        self._images.save()
        self._regions.save()
        self._readers.close()
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
        return get_setting(connection or self._conn, key)

    def _reader(self) -> sqlite3.Connection:
        """A connection for the calling thread: searches on server threads read
        concurrently (WAL), never inside another thread's transaction."""
        return self._readers.get()

    # -- the model guard -------------------------------------------------------------

    def settings(self) -> records.IndexSettings | None:
        return read_settings(self._conn)

    def bind(self, settings: records.IndexSettings, *, reembed: bool = False) -> None:
        with self._transaction() as tx:
            bind_index(tx, self.location, settings, reembed)

    def _require_dim(self, vectors: Sequence[Vector]) -> None:
        core.check_dimensions(vectors, int(self._setting("dim") or 0))

    # -- syncing with the disk ---------------------------------------------------------

    def files_under(self, roots: Sequence[str]) -> list[records.StoredFile]:
        clause, params = core.under_clause(roots, SQLITE)
        rows = self._conn.execute(
            "SELECT id, path, size, mtime_ns, digest, vector IS NOT NULL, width, height, "
            "thumbprint IS NOT NULL, sidecar_mtime_ns FROM images "
            f"WHERE {clause} ORDER BY path",
            params,
        ).fetchall()
        return [
            records.StoredFile(
                r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], bool(r[8]), int(r[9])
            )
            for r in rows
        ]

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

    def failures(
        self, roots: Sequence[str] | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[records.Failure]:
        clause, params = core.under_clause(roots, SQLITE)
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, code, message, seen_at FROM failures "
            f"WHERE {clause} ORDER BY path LIMIT ? OFFSET ?",
            [*params, -1 if limit is None else limit, offset],
        ).fetchall()
        return [records.Failure(*row) for row in rows]

    def write(self, batch: records.WriteBatch) -> list[int]:
        self._require_dim(
            [item.vector for item in batch.images if item.vector is not None]
            + batch.region_vectors()
        )
        if not batch:
            return []
        with self._transaction() as tx:
            rev = int(self._setting("rev", tx) or 0) + 1
            ids = write_batch(tx, batch, rev, time.time())
            put_setting(tx, "rev", rev)
        return ids

    def record_run(self, run: records.Run, run_id: int | None = None) -> int:
        with self._transaction() as tx:
            return core.save_run(tx, SQLITE, "runs", run, run_id)

    # -- reading ----------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[records.ImageRecord]:
        found: dict[int, records.ImageRecord] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._reader().execute(
                f"SELECT {core.RECORD_COLUMNS} FROM images WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = _record(row)
        return [found[i] for i in ids if i in found]

    def find_path(self, path: str) -> records.ImageRecord | None:
        row = (
            self._reader()
            .execute(f"SELECT {core.RECORD_COLUMNS} FROM images WHERE path = ?", (path,))
            .fetchone()
        )
        return None if row is None else _record(row)

    def paths_from(self, key: str, limit: int) -> list[str]:
        rows = self._reader().execute(
            "SELECT path FROM images WHERE path >= ? ORDER BY path LIMIT ?", (key, limit)
        )
        return [row[0] for row in rows]

    def vectors(self, ids: Sequence[int]) -> Vector:
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for image_id, blob in self._reader().execute(
                f"SELECT id, vector FROM images WHERE id IN ({marks}) AND vector IS NOT NULL",
                chunk,
            ):
                found[image_id] = blob
        dim = int(self._setting("dim", self._reader()) or 0)
        return core.stack_vectors(
            ids, found, dim, lambda blob: np.frombuffer(blob, dtype=np.float32)
        )

    def thumbprints(self, ids: Sequence[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, thumbprint FROM images WHERE id IN ({marks}) AND thumbprint IS NOT NULL"
            found.update(self._reader().execute(sql, chunk))
        return found

    def set_thumbprints(self, prints: Mapping[int, bytes]) -> None:
        with self._transaction() as tx:
            tx.executemany(
                "UPDATE images SET thumbprint = ? WHERE id = ?",
                [(packed, image_id) for image_id, packed in prints.items()],
            )

    def sample_images(self, size: int) -> tuple[list[int], int]:
        return sample_images(self._reader(), size)

    def annotate(self, image_id: int, *, caption: str | None, tags: Sequence[str]) -> None:
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE images SET caption = ?, tags = ? WHERE id = ?",
                (caption, json.dumps(list(tags)), image_id),
            )
            if cursor.rowcount == 0:
                raise NotIndexed(f"no image with id {image_id} in {self.location}")
            write_text(tx, image_id)

    def stats(self) -> records.StoreStats:
        by_kind = self._conn.execute(
            "SELECT kind, count(*), count(vector) FROM images GROUP BY kind ORDER BY kind"
        ).fetchall()
        kinds = {str(kind): int(count) for kind, count, _ in by_kind}
        images, vectors = sum(kinds.values()), sum(int(row[2]) for row in by_kind)
        failures = self._conn.execute("SELECT count(*) FROM failures").fetchone()[0]
        regions = self._conn.execute("SELECT count(*) FROM regions").fetchone()[0]
        size = sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
        last_run = core.run_from_row(
            self._conn.execute(
                f"SELECT {core.LAST_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1"
            ).fetchone()
        )
        mode = "hnsw" if vectors >= self._hnsw_threshold else "exact"
        return records.StoreStats(
            images, vectors, failures, size, self.settings(), last_run, mode, regions,
            kinds.get("video", 0), kinds,
        )  # fmt: skip

    # -- searching ---------------------------------------------------------------------

    def nearest(
        self, query: Vector, k: int, filters: Filters = Filters(), *, exact: bool = False
    ) -> list[tuple[int, float]]:
        self._current(self._images)
        allowed = allowed_images(self._reader(), filters) if filters.active else None
        ids, scores, mode, _ = self._images.search(query, k, allowed, exact)
        if mode == "hnsw" and len(ids):
            # The graph holds float16 copies; report float32 cosines from the database.
            scores = self.vectors([int(i) for i in ids]) @ np.asarray(query, dtype=np.float32)
            order = np.lexsort((ids, -scores))
            ids, scores = ids[order], scores[order]
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def _nearest_regions(
        self,
        query: Vector,
        k: int,
        filters: Filters,
        labels: Sequence[str],
        sources: Sequence[str],
        exact: bool,
    ) -> list[tuple[int, int, float]]:
        self._current(self._regions)
        allowed = None
        if filters.active or labels or sources:
            allowed = allowed_regions(self._reader(), filters, labels, sources)
        ids, scores, mode, owners = self._regions.search(query, k, allowed, exact)
        if not len(ids):
            return []
        if mode == "hnsw":
            scores = self.regions.vectors([int(i) for i in ids]) @ np.asarray(query, np.float32)
        order = np.lexsort((ids, -scores))
        return [(int(ids[n]), int(owners[n]), float(scores[n])) for n in order]

    def metadata_matches(
        self, text: str, limit: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        return metadata_matches(self._reader(), text, limit, filters)

    def browse(
        self, filters: Filters, labels: Sequence[str], order: str, limit: int, offset: int
    ) -> tuple[list[int], int]:
        return browsing.listing(self._read, BROWSE, filters, labels, order, limit, offset)

    def facets(
        self, filters: Filters, labels: Sequence[str], base: str, utc_offset: float
    ) -> browsing.Facets:
        return browsing.facets(self._read, BROWSE, filters, labels, base, utc_offset)

    def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._reader().execute(sql, params).fetchall()

    def vector_index(self) -> VectorIndex:
        """The in-memory vector index of whole images, caught up with the database."""
        return self._current(self._images)

    def _current(self, synced: SyncedVectors) -> VectorIndex:
        """Catch ``synced`` up with the database (exclusively: its searches wait)."""
        return synced.current(
            self._snapshot, self._stamp, lambda db: int(self._setting("dim", db) or 0)
        )

    def _stamp(self, db: sqlite3.Connection | None) -> tuple[int, int]:
        return data_stamp(db or self._reader())


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _record(row: Sequence[Any]) -> records.ImageRecord:
    return records.record_from_row(row, json.loads(row[-1]))
