"""A small indexed collection served by the HTTP API, with the shipped demo model (offline)."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Index
from imgsearch.demo.collection import Collection, generate_collection
from imgsearch.server import ServerSettings, create_app


@pytest.fixture(scope="session")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return generate_collection(tmp_path_factory.mktemp("served") / "shapes", 60, seed=11)


@pytest.fixture(scope="session")
def index_path(shapes: Collection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("served-index") / "index"
    with Index.open(path, model="demo-shapes") as index:
        index.update([shapes.root])
    return path


@pytest.fixture
def make_client(index_path: Path, shapes: Collection) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = ServerSettings(**{"index": index_path, "roots": [shapes.root], **overrides})
        client = TestClient(
            create_app(settings), base_url="http://localhost", raise_server_exceptions=False
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client()  # type: ignore[no-any-return]


def png_bytes(width: int = 64, height: int = 48, colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class LocalServer:
    """A loopback HTTP server that counts the requests it gets, for fetch and SSRF tests."""

    port: int
    hits: list[str] = field(default_factory=list)
    gate: threading.Event | None = None  # /slow answers once it is set

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    image = png_bytes()
    state = LocalServer(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            if self.path.startswith("/slow") and state.gate is not None:
                state.gate.wait(15)
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", self.path.split("to=", 1)[1])
                self.end_headers()
                return
            picture = self.path.startswith(("/image", "/slow"))
            body = image if picture else b"<html>not an image</html>"
            if self.path.startswith("/big"):
                body = image + b"\0" * 5000
            self.send_response(200)
            self.send_header("Content-Type", "image/png" if body[:4] == b"\x89PNG" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
