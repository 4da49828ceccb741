"""The /v1 API through FastAPI's TestClient: every endpoint and its errors."""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Embedder, Index
from imgsearch.demo.collection import Collection, generate_collection
from imgsearch.types import Box
from tests.server.conftest import png_bytes


def _labels(shapes: Collection) -> dict[str, Any]:
    return shapes.by_path()


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]


def test_health_status_models(client: TestClient, shapes: Collection) -> None:
    assert client.get("/health").json() == {"status": "ok", "model": "demo-shapes"}
    status = client.get("/v1/status").json()
    assert status["images"] == len(shapes.images) and status["model"] == "demo-shapes"
    assert status["vector_index"] == "exact" and status["job"]["state"] == "idle"
    models = client.get("/v1/models").json()
    assert models["serving"] == {"model": "demo-shapes", "dim": 64}
    assert "clip-vit-b-32" in {m["name"] for m in models["catalog"]}


def test_text_search_with_links(client: TestClient, shapes: Collection) -> None:
    names = [o.name for image in shapes.images for o in image.objects]
    common = max(set(names), key=names.count)
    response = client.post("/v1/search", json={"text": common, "top": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    hits = body["hits"]
    assert body["model"] == "demo-shapes" and [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    first = hits[0]
    assert first["links"] == {
        "self": f"/v1/images/{first['id']}",
        "file": f"/v1/images/{first['id']}/file",
        "thumbnail": f"/v1/images/{first['id']}/thumbnail",
    }
    # mechanics here; quality is tests/demo's job
    assert any(_labels(shapes)[h["path"]].contains(common) for h in hits)
    relevance = [h["relevance"] for h in hits]
    assert relevance == sorted(relevance, reverse=True)


def test_search_by_id_upload_box_negative_and_filters(
    client: TestClient, shapes: Collection
) -> None:
    target = next(im for im in shapes.images if len(im.objects) >= 2)
    by_id = client.post("/v1/search", json={"text": "star", "top": 1}).json()["hits"][0]["id"]
    same = client.post("/v1/search", json={"parts": [{"image_id": by_id}], "top": 1}).json()
    assert same["hits"][0]["id"] == by_id
    uploaded = base64.b64encode(target.path.read_bytes()).decode()
    hit = client.post("/v1/search", json={"parts": [{"image_base64": uploaded}], "top": 1}).json()
    assert hit["hits"][0]["path"] == str(target.path)
    x, y, w, h = target.objects[0].box
    region = client.post(
        "/v1/search",
        json={
            "parts": [{"image_base64": uploaded, "box": {"x": x, "y": y, "w": w, "h": h}}],
            "top": 3,
        },
    )
    assert region.status_code == 200, region.text
    mixed = client.post(
        "/v1/search",
        json={
            "parts": [{"text": "circle", "weight": 2}, {"image_id": by_id}],
            "not": ["square"],
            "filters": {"formats": ["png"], "after": "2000-01-01"},
            "top": 10,
            "offset": 1,
        },
    )
    assert mixed.status_code == 200, mixed.text
    hits = mixed.json()["hits"]
    assert hits and all(h["path"].endswith(".png") for h in hits) and hits[0]["rank"] == 2


def test_search_mistakes_are_4xx_json(client: TestClient) -> None:
    _error(client.post("/v1/search", json={}), 400, "InvalidQuery")
    _error(client.post("/v1/search", json={"text": "x", "top": 0}), 422, "InvalidRequest")
    _error(client.post("/v1/search", json={"parts": [{"image_id": 10**9}]}), 404, "NotFound")
    _error(
        client.post("/v1/search", json={"parts": [{"image_base64": "@@@"}]}), 400, "InvalidImage"
    )
    _error(
        client.post(
            "/v1/search", json={"parts": [{"image_base64": base64.b64encode(b"nope").decode()}]}
        ),
        400,
    )
    _error(
        client.post("/v1/search", json={"parts": [{"image_id": 1, "image_url": "http://x"}]}),
        400,
        "InvalidQuery",
    )
    _error(
        client.post("/v1/search", json={"parts": [{"image_url": "http://127.0.0.1/x.png"}]}),
        400,
        "InvalidImageUrl",
    )
    _error(
        client.post("/v1/search", content=b"{oops", headers={"Content-Type": "application/json"}),
        422,
    )
    _error(
        client.post(
            "/v1/search", json={"parts": [{"image_id": 1, "box": {"x": 0, "y": 0, "w": 0, "h": 1}}]}
        ),
        422,
    )
    _error(client.get("/v1/nothing-here"), 404, "NotFound")
    _error(client.get("/v1/search"), 405, "MethodNotAllowed")


def test_batch_vectorize(client: TestClient) -> None:
    embedder = Embedder("demo-shapes", offline=True)
    data = png_bytes(colour="green")
    body = {
        "texts": ["red circle", "blue star"],
        "images": [{"image_base64": base64.b64encode(data).decode()}],
    }
    response = client.post("/v1/vectorize", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["model"] == "demo-shapes" and out["dim"] == 64
    np.testing.assert_allclose(
        out["texts"], embedder.embed_texts(["red circle", "blue star"]), atol=1e-5
    )
    np.testing.assert_allclose(out["images"], embedder.embed_images([data]), atol=1e-5)
    _error(client.post("/v1/vectorize", json={"texts": [""]}), 400)


def test_batch_vectorize_keeps_the_order_of_mixed_images(
    client: TestClient, shapes: Collection
) -> None:
    embedder = Embedder("demo-shapes", offline=True)
    stored = client.post("/v1/search", json={"text": "star", "top": 1}).json()["hits"][0]
    red, blue = png_bytes(colour="red"), png_bytes(80, 60, colour="blue")
    box = {"x": 10, "y": 5, "w": 40, "h": 30}
    images = [
        {"image_base64": base64.b64encode(red).decode()},
        {"image_id": stored["id"]},  # its stored vector
        {"image_id": stored["id"], "box": box},  # a region: embedded now
        {"image_base64": base64.b64encode(blue).decode()},
    ]
    response = client.post("/v1/vectorize", json={"images": images})
    assert response.status_code == 200, response.text
    vectors = np.array(response.json()["images"])
    region = embedder.embed_images([stored["path"]], [Box(10, 5, 40, 30)])[0]
    expected = [*embedder.embed_images([red]), None, region, *embedder.embed_images([blue])]
    for slot in (0, 2, 3):
        np.testing.assert_allclose(vectors[slot], expected[slot], atol=1e-5)
    index_vector = client.app.state.service.index.store.vectors([stored["id"]])[0]
    np.testing.assert_allclose(vectors[1], index_vector, atol=1e-6)
    bad = {"images": [images[0], {"image_base64": base64.b64encode(b"not an image").decode()}]}
    _error(client.post("/v1/vectorize", json=bad), 400)


def test_image_metadata_file_and_thumbnail(client: TestClient, shapes: Collection) -> None:
    hit = client.post("/v1/search", json={"text": "triangle", "top": 1}).json()["hits"][0]
    meta = client.get(f"/v1/images/{hit['id']}").json()
    assert meta["path"] == hit["path"] and meta["width"] and meta["format"] in ("JPEG", "PNG")
    file = client.get(meta["links"]["file"])
    assert file.status_code == 200 and file.content == Path(hit["path"]).read_bytes()
    assert file.headers["content-type"] == (
        "image/png" if meta["format"] == "PNG" else "image/jpeg"
    )
    thumb = client.get(meta["links"]["thumbnail"], params={"size": 64})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "max-age" in thumb.headers["cache-control"]
    with Image.open(__import__("io").BytesIO(thumb.content)) as image:
        assert max(image.size) == 64
    again = client.get(
        meta["links"]["thumbnail"],
        params={"size": 64},
        headers={"If-None-Match": thumb.headers["etag"]},
    )
    assert again.status_code == 304
    _error(client.get(f"/v1/images/{hit['id']}/thumbnail", params={"size": 5000}), 422)
    _error(client.get("/v1/images/123456789"), 404, "NotFound")
    _error(client.get("/v1/images/abc"), 422)


def test_files_are_served_only_from_configured_roots(make_client: Any, tmp_path: Path) -> None:
    client = make_client(roots=[tmp_path])
    hit = client.post("/v1/search", json={"text": "circle", "top": 1}).json()["hits"][0]
    _error(client.get(f"/v1/images/{hit['id']}/file"), 404, "NotFound")
    _error(client.get(f"/v1/images/{hit['id']}/thumbnail"), 404, "NotFound")


def test_background_index_run(make_client: Any, tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path / "more", 12, seed=99)
    client = make_client(index=tmp_path / "fresh-index", model="demo-shapes", roots=[shapes.root])
    started = client.post("/v1/index")
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while (job := client.get("/v1/index").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job["state"] == "done", job
    assert job["counts"]["added"] == 12 and job["done"] == job["total"] == 12
    # the rate the page shows counts files that needed reading, from the first of them
    assert job["quick"] == 0 and job["started_at"] <= job["working_since"] <= job["finished_at"]
    assert client.get("/v1/status").json()["images"] == 12
    assert client.post("/v1/index").status_code == 202  # again: nothing changed
    while (job := client.get("/v1/index").json())["state"] == "running":
        time.sleep(0.1)
    assert job["quick"] == job["done"] == 12 and job["working_since"] is None
    assert client.post("/v1/search", json={"text": "star"}).json()["hits"]
    no_roots = make_client(index=tmp_path / "fresh-index", roots=[])
    _error(no_roots.post("/v1/index"), 400, "NoRoots")


def test_a_genuine_fault_is_a_500_with_a_request_id(client: TestClient, monkeypatch: Any) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "status", broken)
    response = client.get("/v1/status")
    body = _error(response, 500, "InternalError")
    assert response.headers["x-request-id"] in body["message"]
    assert "disk on fire" not in body["message"]


def test_keys_rate_limit_cors_and_body_limit(make_client: Any) -> None:
    client = make_client(
        api_keys=["k"],
        rate_limit_per_minute=2,
        cors_origins=["https://app.example"],
        max_body_bytes=2000,
    )
    _error(client.get("/v1/status"), 401, "Unauthorized")
    headers = {"Authorization": "Bearer k"}
    assert client.get("/v1/status", headers=headers).status_code == 200
    assert client.get("/v1/models", headers=headers).status_code == 200
    limited = client.get("/v1/status", headers=headers)
    _error(limited, 429, "TooManyRequests")
    assert int(limited.headers["retry-after"]) > 0
    preflight = client.options(
        "/v1/search",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    big = make_client(max_body_bytes=2000, cors_origins=["https://app.example"])
    refused = big.post(
        "/v1/search", json={"text": "x" * 3000}, headers={"Origin": "https://app.example"}
    )
    _error(refused, 413, "PayloadTooLarge")
    assert refused.headers["access-control-allow-origin"] == "https://app.example"
    azure = big.post(
        "/computervision/retrieval:vectorizeImage",
        params={"api-version": "2024-02-01"},
        content=b"\0" * 3000,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert azure.status_code == 400 and azure.headers["x-ms-error-code"] == "InvalidRequest"
    assert azure.json()["error"]["innererror"]["code"] == "InvalidImageSize"


def _chunks(*parts: bytes) -> Iterator[bytes]:
    """A body sent chunked: no Content-Length for the server to check first."""
    yield from parts


def test_chunked_bodies_are_cut_off_at_the_limit(make_client: Any) -> None:
    client = make_client(max_body_bytes=2000)
    json_type = {"Content-Type": "application/json"}
    big = (b'{"text": "', *([b"x" * 1000] * 50), b'"}')  # 50 kB, no length declared
    for route in ("/v1/search", "/v1/vectorize"):
        _error(client.post(route, content=_chunks(*big), headers=json_type), 413, "PayloadTooLarge")
    azure = client.post(
        "/computervision/retrieval:vectorizeImage",
        params={"api-version": "2024-02-01"},
        content=_chunks(*([b"\xff" * 1000] * 50)),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert azure.status_code == 400
    assert azure.json()["error"]["innererror"]["code"] == "InvalidImageSize"
    small = client.post(
        "/v1/search", content=_chunks(b'{"text": ', b'"a red circle"}'), headers=json_type
    )
    assert small.status_code == 200, small.text


def test_openapi_schema_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/v1/search",
        "/v1/vectorize",
        "/v1/images/{image_id}",
        "/v1/images/{image_id}/file",
        "/v1/images/{image_id}/thumbnail",
        "/v1/index",
        "/v1/status",
        "/v1/models",
        "/health",
        "/computervision/retrieval:vectorizeImage",
        "/computervision/retrieval:vectorizeText",
    } <= paths


def test_the_schema_documents_errors_and_keys_and_needs_no_cdn(make_client: Any) -> None:
    keyless = make_client().get("/openapi.json").json()
    assert "securitySchemes" not in keyless.get("components", {})  # nothing to send
    client = make_client(api_keys=["k"])
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["SubscriptionKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Ocp-Apim-Subscription-Key",
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    search = schema["paths"]["/v1/search"]["post"]
    assert {"400", "401", "403", "404", "413", "422", "429"} <= set(search["responses"])
    assert {"SubscriptionKey": []} in search["security"]
    assert set(schema["paths"]["/v1/index"]["post"]["responses"]) >= {"202", "400", "409"}
    azure = schema["paths"]["/computervision/retrieval:vectorizeImage"]["post"]["responses"]
    assert azure["400"]["content"]["application/json"]["schema"]["$ref"].endswith("AzureErrorOut")
    # /docs is Swagger UI from a package, offline, without a key, under the page's policy
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-security-policy"].startswith(
        "default-src 'none'; script-src 'self'"
    )
    assert "<script>" not in docs.text  # no inline script
    assert "http" not in docs.text.replace('<meta name="viewport"', "")  # no CDN, no other origin
    for script in ("docs/static/swagger-ui-bundle.js", "docs/start.js"):
        served = client.get(f"/{script}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
        assert script in docs.text
    assert client.get("/docs/static/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc: only from a CDN


def test_search_confidence_and_its_cut_off(client: TestClient) -> None:
    # (a concept the collection holds plainly: "blue square" is in one busy picture of the
    # 60, where no whole-picture vector can find it, and comes back judged absent)
    uncut = client.post("/v1/search", json={"text": "square", "top": 60}).json()["hits"]
    confidences = [h["confidence"] for h in uncut]
    assert all(0 <= c <= 1 for c in confidences) and max(confidences) > 0.5 > min(confidences)
    for wanted, floor in (("auto", 0.5), (0.8, 0.8)):
        response = client.post(
            "/v1/search", json={"text": "square", "top": 60, "min_confidence": wanted}
        )
        assert response.status_code == 200, response.text
        assert response.json()["hits"] == [h for h in uncut if h["confidence"] >= floor]
        assert response.json()["confidence"] == {"judged": True, "cut": floor, "note": None}
    texts = {"text": "blue square", "min_confidence": 0.8, "filters": {"contains_text": ["x"]}}
    filtered = client.post("/v1/search", json=texts).json()["confidence"]
    assert filtered["cut"] is None and "a text filter is not cut" in filtered["note"]
    for bad in (1.5, "sure", -0.2):
        refused = client.post("/v1/search", json={"text": "x", "min_confidence": bad})
        _error(refused, 422)


def test_a_collection_too_small_to_judge_says_so_and_is_not_cut(
    make_client: Any, shapes: Collection, tmp_path: Path
) -> None:
    few = tmp_path / "few"
    few.mkdir()
    for image in shapes.images[:12]:
        shutil.copy(image.path, few / image.path.name)
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        index.update([few])
    client = make_client(index=tmp_path / "index", roots=[few])
    answer = client.post("/v1/search", json={"text": "red circle", "min_confidence": 0.99})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["hits"]) == 10  # nothing cut: 10 asked, 12 there
    assert {h["confidence"] for h in answer.json()["hits"]} == {None}
    assert answer.json()["confidence"] == {
        "judged": False,
        "cut": None,
        "note": "too few images to judge confidence (12 < 32); no cut applied",
    }


def test_search_names_the_words_the_model_never_saw(client: TestClient) -> None:
    known = client.post("/v1/search", json={"text": "blue square"}).json()
    assert known["readable"] is True and known["unknown_words"] == []
    plural = client.post("/v1/search", json={"text": "blue squares"}).json()
    assert plural["readable"] is True and plural["unknown_words"] == ["squares"]
    forest = client.post("/v1/search", json={"text": "a photo of a forest", "top": 5}).json()
    assert forest["readable"] is False and forest["unknown_words"] == ["forest"]
    assert {"red", "circle", "striped"} <= set(forest["known_words"])
    assert "photo" not in forest["known_words"] and plural["known_words"] == []
    assert len(forest["hits"]) == 5 and {h["confidence"] for h in forest["hits"]} == {0.0}
    cut = client.post("/v1/search", json={"text": "forest", "min_confidence": "auto"}).json()
    assert cut["hits"] == [] and cut["readable"] is False
    # a mix: every text must be read for the hits to be judged
    mixed = {"parts": [{"text": "blue square"}, {"text": "lake", "weight": -1}], "top": 3}
    answer = client.post("/v1/search", json=mixed).json()
    assert answer["readable"] is False and answer["unknown_words"] == ["lake"]
