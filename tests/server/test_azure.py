"""The Azure AI Vision compatible routes: bodies, parameters, limits, errors, keys."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from imgsearch import Embedder
from tests.server.conftest import LocalServer, png_bytes

IMAGE = "/computervision/retrieval:vectorizeImage"
TEXT = "/computervision/retrieval:vectorizeText"
V = {"api-version": "2024-02-01"}
RAW = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder("demo-shapes", offline=True)


def _error(response: Any, status: int, inner: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) >= {"code", "message"}
    if inner is not None:
        assert body["code"] == "InvalidRequest"
        assert response.headers["x-ms-error-code"] == "InvalidRequest"
        assert body["innererror"]["code"] == inner and body["innererror"]["message"]
    return body  # type: ignore[no-any-return]


def test_vectorize_image_octet_stream(client: TestClient, embedder: Embedder) -> None:
    data = png_bytes()
    response = client.post(
        IMAGE, params={**V, "model-version": "latest"}, content=data, headers=RAW
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["modelVersion"] == "demo-shapes"
    vector = np.asarray(body["vector"], dtype=np.float32)
    assert vector.shape == (64,) and abs(np.linalg.norm(vector) - 1) < 1e-5
    np.testing.assert_allclose(vector, embedder.embed_images([data])[0], atol=1e-5)


def test_doubled_slash_multipart_and_model_version_spellings(client: TestClient) -> None:
    data = png_bytes(colour="blue")
    for params in (V, {**V, "modelVersion": "demo-shapes"}, {**V, "model-version": "2023-04-15"}):
        url = "http://localhost/" + IMAGE  # base URL ending in / + path starting with /
        response = client.post(url, params=params, content=data, headers=RAW)
        assert response.status_code == 200, response.text
    upload = client.post(IMAGE, params=V, files={"file": ("x.png", data, "image/png")})
    assert upload.status_code == 200, upload.text


def test_vectorize_image_from_an_allowed_url(make_client: Any, local_server: LocalServer) -> None:
    client = make_client(url_allow=["127.0.0.1"])
    response = client.post(IMAGE, params=V, json={"url": local_server.url("/image.png")})
    assert response.status_code == 200, response.text
    assert local_server.hits == ["/image.png"]


def test_url_to_loopback_is_refused_without_a_request(
    client: TestClient, local_server: LocalServer
) -> None:
    response = client.post(IMAGE, params=V, json={"url": local_server.url("/image.png")})
    body = _error(response, 400, "InvalidImageUrl")
    assert body["message"] == "Image URL is badly formatted or not accessible."
    assert local_server.hits == []
    for bad in ("not a url", "file:///etc/passwd", ""):
        _error(client.post(IMAGE, params=V, json={"url": bad}), 400, "InvalidImageUrl")


@pytest.mark.parametrize("params", [{}, {"api-version": "2022-01-01"}, {"api-version": ""}])
def test_unknown_api_version_is_azures_404(client: TestClient, params: dict[str, str]) -> None:
    response = client.post(IMAGE, params=params, content=png_bytes(), headers=RAW)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}
    assert client.post(TEXT, params=params, json={"text": "a"}).status_code == 404


def test_unknown_model_version_is_400(client: TestClient) -> None:
    response = client.post(
        TEXT, params={**V, "model-version": "gpt-9"}, json={"text": "red circle"}
    )
    _error(response, 400, "InvalidModelVersion")


def test_image_size_limits(client: TestClient) -> None:
    empty = _error(client.post(IMAGE, params=V, content=b"", headers=RAW), 400, "InvalidImageSize")
    assert (
        empty["message"]
        == "The image size is not allowed to be zero or larger than 20971520 bytes."
    )
    huge = b"\x89PNG" + b"\0" * (20 * 1024 * 1024)
    _error(client.post(IMAGE, params=V, content=huge, headers=RAW), 400, "InvalidImageSize")


def test_undecodable_and_out_of_range_images(client: TestClient) -> None:
    _error(
        client.post(IMAGE, params=V, content=b"hello, not an image", headers=RAW),
        400,
        "InvalidImageFormat",
    )
    _error(
        client.post(IMAGE, params=V, content=png_bytes(9, 40), headers=RAW),
        400,
        "InvalidImageDimension",
    )
    _error(
        client.post(IMAGE, params=V, content=png_bytes(16001, 12), headers=RAW),
        400,
        "InvalidImageDimension",
    )
    truncated = png_bytes(200, 200)[:120]
    _error(client.post(IMAGE, params=V, content=truncated, headers=RAW), 400, "InvalidImageFormat")


def test_wrong_content_type_is_400(client: TestClient) -> None:
    response = client.post(IMAGE, params=V, content=b"abc", headers={"Content-Type": "text/plain"})
    _error(response, 400, "InvalidContentType")
    _error(
        client.post(TEXT, params=V, content=b"red", headers={"Content-Type": "text/plain"}),
        400,
        "InvalidContentType",
    )


def test_vectorize_text(client: TestClient, embedder: Embedder) -> None:
    response = client.post(TEXT, params=V, json={"text": "red circle"})
    assert response.status_code == 200, response.text
    vector = np.asarray(response.json()["vector"], dtype=np.float32)
    np.testing.assert_allclose(vector, embedder.embed_texts(["red circle"])[0], atol=1e-5)


def test_text_errors(client: TestClient) -> None:
    _error(client.post(TEXT, params=V, json={"text": "   "}), 400, "EmptyText")
    _error(client.post(TEXT, params=V, json={}), 400, "EmptyText")
    _error(client.post(TEXT, params=V, json={"text": 5}), 400, "EmptyText")
    long = " ".join(["word"] * 71)
    body = _error(client.post(TEXT, params=V, json={"text": long}), 400, "TextTooLong")
    assert "70" in body["message"]
    assert client.post(TEXT, params=V, json={"text": " ".join(["word"] * 70)}).status_code == 200
    _error(
        client.post(
            TEXT, params=V, content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
        "InvalidArgument",
    )


def test_keys_are_required_when_configured(make_client: Any) -> None:
    digest = hashlib.sha256(b"hashed-key").hexdigest()
    client = make_client(api_keys=["secret-key"], api_key_hashes=[digest])
    for headers in ({}, {"Ocp-Apim-Subscription-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = client.post(TEXT, params=V, json={"text": "red"}, headers=headers)
        assert response.status_code == 401
        body = response.json()["error"]
        assert body["code"] == "401" and body["message"].startswith(
            "Access denied due to invalid subscription key"
        )
    for headers in (
        {"Ocp-Apim-Subscription-Key": "secret-key"},
        {"Authorization": "Bearer secret-key"},
        {"Ocp-Apim-Subscription-Key": "hashed-key"},
    ):
        assert client.post(TEXT, params=V, json={"text": "red"}, headers=headers).status_code == 200
    assert client.get("/health").status_code == 200  # liveness needs no key
