"""Store fixtures: every contract test runs against each store implementation.

The PostgreSQL store runs against a real server that the test suite starts
(``postgres_url`` in tests/conftest.py); each test gets its own collections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from imgsearch.store import ImageFacts, IndexSettings, SqliteStore, Store
from imgsearch.store.sqlite.vector_index import HnswParams

STORES = ["sqlite", "postgres", "citus"]
"""``citus``: the PostgreSQL store on the coordinator of a real Citus cluster (a
coordinator and two workers; skipped where Citus is not installed, required in CI)."""
DIM = 16


def open_store(
    kind: str, location: Path, *, hnsw_threshold: int = 50_000, server: str | None = None
) -> Store:
    if kind == "sqlite":
        return SqliteStore(location, hnsw_threshold=hnsw_threshold, hnsw=HnswParams(m=16))
    if kind in ("postgres", "citus"):
        from imgsearch.store.postgres import PostgresStore

        assert server is not None
        collection = "-".join(location.parts[-2:])  # unique per test and store name
        separator = "&" if "?" in server else "?"
        return PostgresStore(
            f"{server}{separator}collection={collection}", hnsw_threshold=hnsw_threshold
        )
    raise ValueError(kind)


@pytest.fixture(params=STORES)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    opened: list[Store] = []

    server = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_url")
    elif request.param == "citus":
        server = request.getfixturevalue("citus_cluster").url

    def make(name: str = "index", **options: int) -> Store:
        store = open_store(request.param, tmp_path / name, server=server, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: Callable[..., Store]) -> Store:
    made = store_factory()
    made.bind(IndexSettings("test-model", DIM))
    return made


def unit_vectors(count: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def facts(path: str, digest: str | None = None, **fields: object) -> ImageFacts:
    values: dict[str, object] = {
        "size": 100,
        "mtime_ns": 1_600_000_000_000_000_000,
        "width": 640,
        "height": 480,
        "format": "JPEG",
    }
    values.update(fields)
    return ImageFacts(path=path, digest=digest or f"digest-of-{path}", **values)  # type: ignore[arg-type]
