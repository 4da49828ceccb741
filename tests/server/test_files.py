"""Serving files and thumbnails: only the indexed file, at a real location under a root."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Index
from imgsearch.server import ServerSettings, create_app, files
from imgsearch.server.files import THUMBNAIL_SIZES
from tests.conftest import photo


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A small indexed folder of our own (the tests change its files), and a secret outside."""
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(3):
        photo(300, 200, seed=i).save(root / f"photo_{i}.jpg")
    secret = tmp_path / "secret.png"
    photo(64, 64, seed=9).save(secret)
    (root / "outside.png").symlink_to(secret)  # a link inside the root, leading out of it
    index = tmp_path / "index"
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([root])
    return root, index, secret


@pytest.fixture
def serve(library: tuple[Path, Path, Path], tmp_path: Path) -> Iterator[Any]:
    root, index, _ = library
    clients = []

    def make(**overrides: Any) -> TestClient:
        settings = ServerSettings(
            index=index, roots=[root], thumbnail_cache=tmp_path / "thumbs", **overrides
        )
        client = TestClient(create_app(settings), base_url="http://localhost")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(params=["by handle", "by resolving"])
def opening(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of finding where a file really is (Linux's /proc handle, and resolving
    the path where there is none) must refuse the same files."""
    if request.param == "by handle" and not files._BY_HANDLE:
        pytest.skip("no O_PATH and /proc here")
    monkeypatch.setattr(files, "_BY_HANDLE", request.param == "by handle")
    return str(request.param)


def image_id(client: TestClient, name: str) -> int:
    for hit in client.post("/v1/search", json={"text": "a photo", "top": 10}).json()["hits"]:
        if hit["path"].endswith(name):
            return int(hit["id"])
    raise AssertionError(f"{name} is not indexed")


def test_the_indexed_file_is_served(serve: Any, library: tuple[Path, Path, Path]) -> None:
    client = serve()
    response = client.get(f"/v1/images/{image_id(client, 'photo_0.jpg')}/file")
    assert response.status_code == 200
    assert response.content == (library[0] / "photo_0.jpg").read_bytes()
    assert response.headers["content-type"] == "image/jpeg"


def test_a_link_leading_out_of_the_root_is_not_followed(serve: Any, opening: str) -> None:
    client = serve()
    linked = image_id(client, "outside.png")  # indexed under the root's name for it
    for path in (f"/v1/images/{linked}/file", f"/v1/images/{linked}/thumbnail"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NotFound"
    region = {"image_id": linked, "box": {"x": 0, "y": 0, "w": 10, "h": 10}}
    assert client.post("/v1/search", json={"parts": [region]}).status_code == 404
    assert client.post("/v1/vectorize", json={"images": [region]}).status_code == 404


def test_a_file_swapped_for_a_link_after_indexing_is_not_served(
    serve: Any, library: tuple[Path, Path, Path], opening: str
) -> None:
    root, _, secret = library
    client = serve()
    swapped = image_id(client, "photo_1.jpg")
    (root / "photo_1.jpg").unlink()
    (root / "photo_1.jpg").symlink_to(secret)  # ln -s SECRET photo_1.jpg
    assert client.get(f"/v1/images/{swapped}/file").status_code == 404
    assert client.get(f"/v1/images/{swapped}/thumbnail").status_code == 404


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_file_swapped_for_a_fifo_is_refused_without_waiting(
    serve: Any, library: tuple[Path, Path, Path], opening: str
) -> None:
    root, _, _ = library
    client = serve()
    swapped = image_id(client, "photo_0.jpg")
    (root / "photo_0.jpg").unlink()
    os.mkfifo(root / "photo_0.jpg")  # opening it for reading would wait for a writer
    assert client.get(f"/v1/images/{swapped}/file").status_code == 404
    assert client.get(f"/v1/images/{swapped}/thumbnail").status_code == 404


def test_a_root_reached_through_a_link_still_serves(
    library: tuple[Path, Path, Path], tmp_path: Path, opening: str
) -> None:
    root, index, _ = library
    (tmp_path / "alias").symlink_to(root)
    settings = ServerSettings(
        index=index, roots=[tmp_path / "alias"], thumbnail_cache=tmp_path / "thumbs"
    )
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        target = image_id(client, "photo_0.jpg")
        assert client.get(f"/v1/images/{target}/thumbnail").status_code == 200
        assert client.get(f"/v1/images/{target}/file").status_code == 200


def test_a_file_changed_since_indexing_is_not_served_nor_its_old_thumbnail(
    serve: Any, library: tuple[Path, Path, Path]
) -> None:
    root, _, _ = library
    client = serve()
    changed = image_id(client, "photo_2.jpg")
    assert client.get(f"/v1/images/{changed}/thumbnail").status_code == 200
    photo(300, 200, seed=77).save(root / "photo_2.jpg")
    os.utime(root / "photo_2.jpg", ns=(1, 1))
    assert client.get(f"/v1/images/{changed}/file").status_code == 404
    assert client.get(f"/v1/images/{changed}/thumbnail").status_code == 404


def test_thumbnails_come_in_a_few_sizes(serve: Any, tmp_path: Path) -> None:
    client = serve()
    target = image_id(client, "photo_0.jpg")
    for size in range(16, 1025, 7):
        response = client.get(f"/v1/images/{target}/thumbnail", params={"size": size})
        assert response.status_code == 200
        served = Image.open(io.BytesIO(response.content))
        wanted = next(s for s in THUMBNAIL_SIZES if s >= size)
        assert max(served.size) == min(wanted, 300)  # never enlarged past the photo
    cached = [p for p in (tmp_path / "thumbs").rglob("*.jpg")]
    assert len(cached) == len(THUMBNAIL_SIZES)


def test_thumbnail_caching_is_private_when_keys_are_required(serve: Any) -> None:
    open_server, keyed = serve(), serve(api_keys=["k"])
    target = image_id(open_server, "photo_0.jpg")
    public = open_server.get(f"/v1/images/{target}/thumbnail").headers["cache-control"]
    private = keyed.get(f"/v1/images/{target}/thumbnail", headers={"Authorization": "Bearer k"})
    assert public.startswith("public") and "immutable" not in public
    assert private.headers["cache-control"].startswith("private")
    again = keyed.get(
        f"/v1/images/{target}/thumbnail",
        headers={"Authorization": "Bearer k", "If-None-Match": private.headers["etag"]},
    )
    assert again.status_code == 304


def test_uploads_get_the_same_limits_on_every_route(serve: Any) -> None:
    client = serve()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")  # under the 10 px minimum side
    tiny = base64.b64encode(buffer.getvalue()).decode()
    search = client.post("/v1/search", json={"parts": [{"image_base64": tiny}]})
    assert search.status_code == 400
    assert search.json()["error"]["code"] == "InvalidImageDimensions"
    vectorize = client.post("/v1/vectorize", json={"images": [{"image_base64": tiny}]})
    assert vectorize.status_code == 400
