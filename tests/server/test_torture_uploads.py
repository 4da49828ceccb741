"""The torture collection posted to both HTTP APIs: the verdict of the one decode path
under the upload limits, as a 200 or a 400 — never a 500."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from imgsearch.errors import ImageError
from imgsearch.media.decode import read_image
from tests.media.torture import torture_files

FILES = torture_files()
V = {"api-version": "2024-02-01"}


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_file_gets_the_same_verdict_on_both_apis(client: TestClient, name: str) -> None:
    data, _ = FILES[name]
    try:
        read_image(data, options=client.app.state.service.request_decode)  # type: ignore[attr-defined]
        expected = 200
    except ImageError:
        expected = 400
    if data and len(data) <= 20 * 1024 * 1024:
        azure = client.post(
            "/computervision/retrieval:vectorizeImage",
            params=V,
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert azure.status_code == expected, azure.text
    encoded = base64.b64encode(data).decode()
    search = client.post("/v1/search", json={"parts": [{"image_base64": encoded}], "top": 1})
    assert search.status_code == (expected if data else 400), search.text
    if search.status_code == 400:
        assert search.json()["error"]["code"] in {
            "CorruptImage",
            "UnsupportedImage",
            "PixelLimitExceeded",
            "InvalidImageDimensions",
            "InvalidImage",
        }
