"""The real server (uvicorn, loopback), called with plain ``requests`` code as Azure's docs write it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from imgsearch.demo.collection import Collection
from tests.server.conftest import LocalServer

KEY = "0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(index_path: Path, shapes: Collection) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "IMGSEARCH_API_KEYS": json.dumps([KEY]),
        "IMGSEARCH_URL_ALLOW": json.dumps(["127.0.0.1"]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index_path),
         "--port", str(port), "--root", str(shapes.root), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


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
