"""Embedded-store specifics: the saved HNSW graph follows the database, whatever happened."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from imgsearch.cli.main import cli_hint
from imgsearch.errors import IndexNotFound, StoreError
from imgsearch.query.confidence import sample_key
from imgsearch.store import Filters, ImageWrite, IndexSettings, SqliteStore, TextSet, WriteBatch
from imgsearch.store.core import SAMPLE_ORDER
from imgsearch.store.sqlite.migrations import SCHEMA_VERSION
from imgsearch.types import Box, TextLine
from tests.store.conftest import DIM, facts, unit_vectors


def fill(store: SqliteStore, start: int, vectors: np.ndarray) -> list[int]:
    return store.write(
        WriteBatch(
            images=[ImageWrite(facts(f"/p/{start + i:05}.jpg"), v) for i, v in enumerate(vectors)]
        )
    )


def all_hits(store: SqliteStore, query: np.ndarray) -> list[int]:
    return [h[0] for h in store.nearest(query, 10_000, exact=True)]


def test_saved_graph_catches_up_with_writes_made_after_it(tmp_path: Path) -> None:
    vectors = unit_vectors(3000, seed=1, dim=16)
    store = SqliteStore(tmp_path, hnsw_threshold=1000)
    store.bind(IndexSettings("m", 16))
    ids = fill(store, 0, vectors[:2000])
    assert store.vector_index().mode == "hnsw"
    store.close()  # saves the graph
    assert (tmp_path / "vectors.faiss").exists()

    # Another process (no graph in memory) adds and deletes; the file is now stale.
    other = SqliteStore(tmp_path, hnsw_threshold=10**9)
    fill(other, 2000, vectors[2000:])
    other.write(WriteBatch(deletes=ids[:100]))
    other.close()

    reopened = SqliteStore(tmp_path, hnsw_threshold=1000)
    hits = all_hits(reopened, vectors[0])
    assert len(hits) == 2900 and not set(ids[:100]) & set(hits)
    top = reopened.nearest(vectors[2500], 1)
    assert top[0][0] == 2501 and top[0][1] == pytest.approx(1.0, abs=1e-6)
    reopened.close()


def test_missing_or_damaged_graph_is_rebuilt_from_the_database(tmp_path: Path) -> None:
    vectors = unit_vectors(1500, seed=2, dim=16)
    store = SqliteStore(tmp_path, hnsw_threshold=1000)
    store.bind(IndexSettings("m", 16))
    fill(store, 0, vectors)
    store.vector_index()
    store.close()
    (tmp_path / "vectors.faiss").write_bytes(b"not a graph")
    again = SqliteStore(tmp_path, hnsw_threshold=1000)
    assert len(all_hits(again, vectors[0])) == 1500
    again.close()


def test_opening_without_create_needs_an_existing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound) as caught:
        SqliteStore(tmp_path / "none", create=False)
    assert "imgsearch index" in cli_hint(caught.value)  # the CLI names its command


def test_schema_is_versioned_and_newer_schemas_are_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / "index.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("INSERT INTO migrations VALUES ('9999_from_the_future', 0)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer imgsearch"):
        SqliteStore(tmp_path)


def test_region_graph_is_saved_caught_up_and_filters_exactly(tmp_path: Path) -> None:
    from imgsearch.store import Box, Region, RegionSet

    vectors = unit_vectors(1600, seed=3, dim=16)
    store = SqliteStore(tmp_path, hnsw_threshold=500)
    store.bind(IndexSettings("m", 16))
    ids = fill(store, 0, vectors[:100])
    labels = ["bus"] * 3 + ["car"] * 997  # three buses among a thousand regions

    def regions(image: int) -> RegionSet:
        rows = range(image * 10, image * 10 + 10)
        group = [
            (Region("annotation", Box(1, 1, 5, 5), label=labels[r]), vectors[100 + r]) for r in rows
        ]
        return RegionSet("annotation", group, image_id=ids[image])

    store.write(WriteBatch(regions=[regions(n) for n in range(100)]))
    query = vectors[100 + 500]
    exact = [r for r, _, _ in store.regions.nearest(query, 10, exact=True)]
    approximate = [r for r, _, _ in store.regions.nearest(query, 10)]
    assert len(set(exact) & set(approximate)) >= 9
    assert store._regions.search(query, 1, None, False)[2] == "hnsw"
    # A filter that lets 3 of 1,000 through still returns all 3.
    assert len(store.regions.nearest(query, 10, labels=["bus"])) == 3
    store.close()
    assert (tmp_path / "regions" / "vectors.faiss").exists()

    other = SqliteStore(tmp_path, hnsw_threshold=10**9)  # another process: no graph held
    other.write(WriteBatch(regions=[RegionSet("annotation", [], image_id=ids[50])]))
    other.close()
    reopened = SqliteStore(tmp_path, hnsw_threshold=500)
    found = reopened.regions.nearest(query, 1000, exact=True)
    assert len(found) == 990 and all(image != ids[50] for _, image, _ in found)
    assert reopened.regions.nearest(vectors[100 + 10], 1)[0][1] == ids[1]
    reopened.close()


def test_a_refused_wal_switch_is_retried_until_the_other_opener_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes opening a new index at once: SQLite refuses one of them at once (no
    busy handler, to avoid a deadlock). The refused one must try again, not fail."""
    from imgsearch.store.sqlite import connect as sqlite_connect

    refusals = []

    class RefusedTwice(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if "journal_mode" in sql and len(refusals) < 2:
                refusals.append(sql)
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite_connect.sqlite3,
        "connect",
        lambda *a, **k: real_connect(*a, **k, factory=RefusedTwice),
    )
    connection = sqlite_connect.connect(tmp_path / "index.db")
    assert len(refusals) == 2
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


def test_a_lock_held_past_the_timeout_or_a_damaged_file_is_a_store_error(tmp_path: Path) -> None:
    from imgsearch.store.sqlite.connect import connect as _connect

    holder = sqlite3.connect(tmp_path / "held.db", isolation_level=None)
    holder.execute("CREATE TABLE x (a)")
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreError, match="database is locked"):
        _connect(tmp_path / "held.db", timeout=0.3)
    holder.execute("COMMIT")
    holder.close()
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a database"):
        _connect(tmp_path / "junk.db")


def test_the_confidence_sample_is_read_through_an_index_on_its_order(tmp_path: Path) -> None:
    """Migration 0007 indexes SAMPLE_ORDER itself: the sample read never sorts the table."""
    store = SqliteStore(tmp_path)
    store.bind(IndexSettings("m", DIM))
    vectors = unit_vectors(300)
    store.write(
        WriteBatch(images=[ImageWrite(facts(f"/p/{i}.jpg"), v) for i, v in enumerate(vectors)])
    )
    store.write(WriteBatch(images=[ImageWrite(facts("/p/no-vector.jpg"), None)]))
    ids, population = store.sample_images(50)
    assert population == 300 and len(ids) == 50
    assert ids == sorted(range(1, 301), key=lambda i: (sample_key(i), i))[:50]
    db = sqlite3.connect(tmp_path / "index.db")
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM images WHERE vector IS NOT NULL "
        f"ORDER BY {SAMPLE_ORDER} LIMIT 50"
    ).fetchall()
    assert "USING INDEX images_sample" in str(plan) and "TEMP B-TREE" not in str(plan), plan
    db.close()
    store.close()


def _open_files() -> int:
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts open files in /proc")
def test_a_thread_s_read_connection_closes_when_the_thread_ends(tmp_path: Path) -> None:
    """The server's worker threads come and go; each one's connection (database, WAL and
    shared-memory files, page cache) must go with it, or memory grows with every thread
    the server ever started (issue 34: ~8 MB a minute under load)."""
    store = SqliteStore(tmp_path)
    store.bind(IndexSettings("m", DIM))
    ids = fill(store, 0, unit_vectors(5, seed=3))
    seen: list[int] = []

    def read() -> None:
        seen.append(len(store.get(ids)))

    def in_a_thread() -> None:
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()

    in_a_thread()
    before = _open_files()
    for _ in range(60):
        in_a_thread()
    assert seen == [5] * 61
    assert _open_files() <= before + 1  # sixty threads later: their connections are closed

    # A thread still running keeps its connection until the store closes it.
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        read()
        started.set()
        release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    started.wait(10)
    assert _open_files() > before
    store.close()
    assert _open_files() < before
    release.set()
    holder.join()


def test_an_index_from_before_kinds_were_stored_gets_its_videos_kind(tmp_path: Path) -> None:
    """Migration 0008: videos were the rows with a duration; they become kind 'video'."""
    made = SqliteStore(tmp_path / "index", create=True)
    made.bind(IndexSettings("test-model", DIM))
    vectors = unit_vectors(2)
    made.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/v/clip.mp4", duration=4.0, kind="video"), vectors[0]),
                ImageWrite(facts("/v/still.jpg"), vectors[1]),
            ]
        )
    )
    made.close()
    with sqlite3.connect(tmp_path / "index" / "index.db") as old:  # as 0007 left it
        old.execute("DROP INDEX images_browse")  # 0010's, which holds the kind
        old.execute("ALTER TABLE images DROP COLUMN kind")
        old.execute("DELETE FROM migrations WHERE name IN ('0008_kind', '0010_browse_index')")
    reopened = SqliteStore(tmp_path / "index")
    assert [(r.path, r.kind) for r in reopened.get([1, 2])] == [
        ("/v/clip.mp4", "video"),
        ("/v/still.jpg", "image"),
    ]
    reopened.close()


def test_text_folded_before_punctuation_was_folded_is_folded_again(tmp_path: Path) -> None:
    """Migration 0009: the stored folded text loses its punctuation, so that the
    contains-text filter finds "INV-4711" by "inv 4711" in an index read before."""
    made = SqliteStore(tmp_path / "index", create=True)
    made.bind(IndexSettings("test-model", DIM))
    line = TextLine("INV-4711 (paid)", Box(1.0, 2.0, 30.0, 8.0), 0.9)
    [image_id] = made.write(
        WriteBatch(
            images=[ImageWrite(facts("/p/invoice.png", "d1"), unit_vectors(1)[0])],
            texts=[TextSet([line], "reader-1", "d1", image_index=0)],
        )
    )
    made.close()
    with sqlite3.connect(tmp_path / "index" / "index.db") as old:  # as 0008 left it
        old.execute("UPDATE image_text SET folded = 'lnv-47ll(pald)'")
        old.execute("DELETE FROM migrations WHERE name = '0009_refold_punctuation'")
    reopened = SqliteStore(tmp_path / "index")
    filters = Filters(contains_text=("inv 4711",))
    assert [i for i, _ in reopened.nearest(unit_vectors(1)[0], 5, filters)] == [image_id]
    reopened.close()
