"""The real server (uvicorn, loopback), called with plain ``requests`` code as Azure's docs write it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from imgsearch.demo.collection import Collection
from tests.server.conftest import LocalServer

pytestmark = pytest.mark.slow  # uvicorn in processes of its own

KEY = "0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(index_path: Path, root: Path, **env: str) -> Iterator[tuple[str, Any]]:
    """``imgsearch serve`` in a process of its own; yields its base URL and the process."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index_path),
         "--port", str(port), "--root", str(root), "--log-level", "warning"],
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"server did not start: {process.stdout.read() if process.stdout else ''}"
                )
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def server(index_path: Path, shapes: Collection) -> Iterator[str]:
    env = {
        "IMGSEARCH_API_KEYS": json.dumps([KEY]),
        "IMGSEARCH_URL_ALLOW": json.dumps(["127.0.0.1"]),
    }
    with running_server(index_path, shapes.root, **env) as (base, _):
        yield base


def test_azure_documentation_style_client_code(
    server: str, shapes: Collection, local_server: LocalServer
) -> None:
    # As in Azure's "multimodal embeddings" how-to, with only the endpoint changed.
    endpoint = server + "/"
    key = KEY
    image_path = shapes.images[0].path

    url = (
        endpoint
        + "computervision/retrieval:vectorizeImage?api-version=2024-02-01&model-version=2023-04-15"
    )
    headers = {"Content-type": "application/octet-stream", "Ocp-Apim-Subscription-Key": key}
    with open(image_path, "rb") as image_file:  # noqa: PTH123 - written the way the docs do
        response = requests.post(url, headers=headers, data=image_file.read(), timeout=30)
    assert response.status_code == 200, response.text
    image_vector = response.json()["vector"]

    url = (
        endpoint
        + "computervision/retrieval:vectorizeImage?api-version=2024-02-01&model-version=2023-04-15"
    )
    headers = {"Content-type": "application/json", "Ocp-Apim-Subscription-Key": key}
    response = requests.post(
        url, headers=headers, json={"url": local_server.url("/image.png")}, timeout=30
    )
    assert response.status_code == 200, response.text

    url = (
        endpoint
        + "computervision/retrieval:vectorizeText?api-version=2024-02-01&model-version=2023-04-15"
    )
    headers = {"Content-type": "application/json", "Ocp-Apim-Subscription-Key": key}
    response = requests.post(url, headers=headers, json={"text": "a red circle"}, timeout=30)
    assert response.status_code == 200, response.text
    text_vector = response.json()["vector"]
    assert len(image_vector) == len(text_vector) == 64

    denied = requests.post(
        url, headers={"Content-type": "application/json"}, json={"text": "x"}, timeout=30
    )
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "401"

    hits = requests.post(
        server + "/v1/search",
        headers={"Authorization": f"Bearer {key}"},
        json={"text": "star", "top": 3},
        timeout=30,
    ).json()["hits"]
    assert len(hits) == 3
    thumbnail = requests.get(
        server + hits[0]["links"]["thumbnail"],
        headers={"Ocp-Apim-Subscription-Key": key},
        timeout=30,
    )
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(4096) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_slow_clients_are_cut_off(index_path: Path, shapes: Collection) -> None:
    env = {"IMGSEARCH_HEADER_TIMEOUT": "1", "IMGSEARCH_BODY_TIMEOUT": "1"}
    with running_server(index_path, shapes.root, **env) as (base, _):
        slowloris = _connect(base)
        slowloris.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nX-a: ")
        time.sleep(0.5)
        slowloris.sendall(b"b")  # a byte now and then does not keep it alive
        assert _closed_by_server(slowloris, 5)

        silent = _connect(base)  # connects and never says anything
        assert _closed_by_server(silent, 5)

        stalled = _connect(base)
        stalled.sendall(
            b"POST /v1/search HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        stalled.settimeout(5)
        answer = b""
        while b"RequestTimeout" not in answer and (piece := stalled.recv(4096)):
            answer += piece
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"RequestTimeout" in answer

        assert requests.get(base + "/health", timeout=5).status_code == 200  # still serving


def test_one_client_cannot_hold_every_connection(index_path: Path, shapes: Collection) -> None:
    """Before: 999 connections trickling a byte every 5 s made the server answer 503 to
    everyone (the connection cap is shared) for as long as the bytes kept coming."""
    env = {"IMGSEARCH_MAX_CONNECTIONS_PER_CLIENT": "5", "IMGSEARCH_BODY_DEADLINE": "2"}
    with running_server(index_path, shapes.root, **env) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        held = [_connect(base) for _ in range(5)]
        refused = _connect(base)
        refused.settimeout(5)
        answer = refused.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503") and b"TooManyConnections" in answer
        other = socket.create_connection(
            (host, int(port)), timeout=5, source_address=("127.0.0.2", 0)
        )
        other.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert other.recv(4096).startswith(b"HTTP/1.1 200")  # another address is served
        for connection in held:
            connection.close()

        trickle = _connect(base)  # a byte a second never pauses long enough for body_timeout
        trickle.sendall(
            b"POST /v1/search HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        started, answer = time.monotonic(), b""
        trickle.settimeout(0.5)
        while b"RequestTimeout" not in answer and time.monotonic() - started < 10:
            try:
                trickle.sendall(b" ")
                answer += trickle.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
        assert answer.startswith(b"HTTP/1.1 408") and b"within 2 s" in answer, answer[:200]
        assert requests.get(base + "/health", timeout=5).status_code == 200


def test_forwarded_addresses_are_ignored_unless_from_a_trusted_proxy(
    index_path: Path, shapes: Collection
) -> None:
    with running_server(index_path, shapes.root, IMGSEARCH_RATE_LIMIT_PER_MINUTE="3") as (base, _):
        codes = [
            requests.get(
                base + "/v1/status", headers={"X-Forwarded-For": f"203.0.113.{n}"}, timeout=5
            ).status_code
            for n in range(5)
        ]
    assert codes == [200, 200, 200, 429, 429]  # one client, whatever it claims to be


def test_a_keyless_server_on_a_public_address_warns(index_path: Path, shapes: Collection) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index_path),
         "--host", "0.0.0.0", "--port", str(port), "--root", str(shapes.root)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"http://127.0.0.1:{port}/v1/status", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.2)
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert "WARNING: no API keys are configured" in output
    assert status["security"] == {"api_keys": False, "warning": status["security"]["warning"]}
    assert "anyone who can reach this address" in status["security"]["warning"]


@pytest.mark.slow
def test_schemathesis_finds_nothing_against_the_real_server(
    index_path: Path, shapes: Collection
) -> None:
    # The command-line runner adds what the in-process fuzz test does not: the coverage
    # phase (every boundary value, undeclared methods and their Allow headers, missing
    # and wrong keys) against uvicorn itself. positive_data_acceptance: see
    # test_schema_fuzz.py.
    env = {"IMGSEARCH_API_KEYS": KEY, "IMGSEARCH_AUTH_FAILURES_PER_MINUTE": "1000000"}
    with running_server(index_path, shapes.root, **env) as (base, _):
        run = subprocess.run(
            [str(Path(sys.executable).with_name("st")), "run", base + "/openapi.json",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "-H", f"Ocp-Apim-Subscription-Key: {KEY}", "--max-examples", "15",
             "--phases", "coverage,fuzzing", "--seed", "1"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    assert " passed" in run.stdout and "failures" not in run.stdout.lower()


def test_a_busy_port_is_said_plainly_before_anything_else(
    index_path: Path, shapes: Collection
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index_path),
             "--port", str(port), "--root", str(shapes.root)],
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr  # a setting to change, not a model problem
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "search page" not in done.stderr and "Errno" not in done.stderr
    assert "Traceback" not in done.stderr
