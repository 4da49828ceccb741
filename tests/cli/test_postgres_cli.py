"""The PostgreSQL store end to end — on a plain server and on a Citus cluster: CLI index
and search, the HTTP API, SIGKILL, two indexers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.server import ServerSettings, create_app
from tests.cli.test_cli import imgsearch

MODEL = ["--model", "demo-shapes"]


@pytest.fixture(params=["postgres", "citus"])
def server(request: pytest.FixtureRequest) -> str:
    """A plain PostgreSQL server's URL, or a Citus coordinator's (tables distributed)."""
    if request.param == "citus":
        return str(request.getfixturevalue("citus_cluster").url)
    return str(request.getfixturevalue("postgres_url"))


def _url(server: str, collection: str) -> str:
    return f"{server}{'&' if '?' in server else '?'}collection={collection}"


def _rows(url: str) -> dict[str, np.ndarray]:
    with Index.open(url, create=False) as index:
        stored = index.store.files_under(["/"])
        vectors = index.store.vectors([f.id for f in stored])
    return {f.path: v for f, v in zip(stored, vectors, strict=True)}


def _count(url: str) -> int:
    try:
        with Index.open(url, create=False) as index:
            return index.status().images
    except Exception:
        return 0


@pytest.mark.slow
def test_cli_index_search_status_and_http_on_one_postgres_store(
    server: str, tmp_path: Path
) -> None:
    shapes = generate_collection(tmp_path / "shapes", 80, seed=5)
    url = _url(server, "e2e")
    done = imgsearch("index", str(shapes.root), "--store", url, *MODEL, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["added"] == 80
    again = imgsearch("index", str(shapes.root), "--store", url, "--json")
    assert json.loads(again.stdout)["counts"]["unchanged"] == 80

    found = imgsearch("search", "blue star", "--store", url, "--paths", "--top", "3")
    assert found.returncode == 0, found.stderr
    top = found.stdout.splitlines()
    assert len(top) == 3
    status = json.loads(imgsearch("status", "--store", url, "--json").stdout)
    assert status["images"] == 80 and status["model"] == "demo-shapes"

    client = TestClient(
        create_app(ServerSettings(index=url, roots=[shapes.root])), base_url="http://localhost"
    )
    with client:
        hits = client.post("/v1/search", json={"text": "blue star", "top": 3}).json()["hits"]
        assert [h["path"] for h in hits] == top
        assert client.get(hits[0]["links"]["thumbnail"]).status_code == 200

    wrong = imgsearch("search", "x", "--store", url, "--model", "clip-vit-b-32")
    assert wrong.returncode in (3, 4)
    unreachable = imgsearch("search", "x", "--store", f"postgresql:///nodb?host={tmp_path}")
    assert unreachable.returncode == 4 and "cannot connect" in unreachable.stderr


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_run(server: str, tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path / "shapes", 240, seed=8)
    reference, crashed = _url(server, "reference"), _url(server, "crashed")
    args = [*MODEL, "--batch-size", "8", "--quiet"]
    assert imgsearch("index", str(shapes.root), "--store", reference, *args).returncode == 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    kills = 0
    for target in sorted(random.Random(3).sample(range(10, 200), 3)):
        process = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(shapes.root), "--store", crashed, *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while process.poll() is None:
            if _count(crashed) >= target:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.01)
        process.wait()
    assert kills == 3
    assert imgsearch("index", str(shapes.root), "--store", crashed, *args).returncode == 0
    expected, got = _rows(reference), _rows(crashed)
    assert sorted(got) == sorted(expected) and len(got) == 240
    for path, vector in expected.items():
        np.testing.assert_allclose(got[path], vector, atol=1e-5)


@pytest.mark.slow
def test_two_indexers_and_searches_at_once(server: str, tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path / "shapes", 120, seed=9)
    url = _url(server, "concurrent")
    assert imgsearch("index", str(shapes.root / "images"), "--store", url, *MODEL, "--quiet", "--batch-size", "4").returncode == 0  # fmt: skip
    more = generate_collection(tmp_path / "more", 60, seed=10)
    results: list[int] = []
    searches: list[int] = []
    stop = threading.Event()

    def index(folder: Path) -> None:
        done = imgsearch("index", str(folder), "--store", url, "--quiet", "--batch-size", "4")
        results.append(done.returncode)

    def search() -> None:
        with Index.open(url, create=False) as opened:
            while not stop.is_set():
                searches.append(len(opened.search("red circle", top=5)))

    workers = [
        threading.Thread(target=index, args=(more.root,)),
        threading.Thread(target=index, args=(more.root,)),  # the same folder twice: a race
        threading.Thread(target=search),
    ]
    for w in workers:
        w.start()
    for w in workers[:2]:
        w.join()
    stop.set()
    workers[2].join()
    assert results == [0, 0]
    assert searches and all(n == 5 for n in searches)
    rows = _rows(url)
    assert len(rows) == 180  # no duplicate rows, nothing lost
