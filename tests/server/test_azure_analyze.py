"""Azure Image Analysis 4.0's analyze call, served: tags from the index's zero-shot tags,
read text from the OCR reader, Azure's errors for what is not offered — and Microsoft's
own client (``azure-ai-vision-imageanalysis``) reading both from imgsearch unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont

from imgsearch.demo.collection import Collection
from tests.server.conftest import LocalServer, png_bytes
from tests.server.test_real_server import KEY, running_server

ANALYZE = "/computervision/imageanalysis:analyze"
V = {"api-version": "2023-10-01"}
RAW = {"Content-Type": "application/octet-stream"}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _error(response: Any, status: int, inner: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    if inner is not None:
        assert body["code"] == "InvalidRequest" and body["innererror"]["code"] == inner
        assert response.headers["x-ms-error-code"] == "InvalidRequest"
    return body  # type: ignore[no-any-return]


def test_tags_are_the_indexs_zero_shot_tags(client: TestClient, shapes: Collection) -> None:
    picture = shapes.images[0]
    response = client.post(
        ANALYZE,
        params={**V, "features": "tags", "model-version": "latest", "language": "en"},
        content=picture.path.read_bytes(),
        headers=RAW,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["modelVersion"] == "demo-shapes"
    assert body["metadata"] == {"width": picture.width, "height": picture.height}
    assert set(body) == {"modelVersion", "metadata", "tagsResult"}
    values = body["tagsResult"]["values"]
    confidences = [v["confidence"] for v in values]
    assert confidences == sorted(confidences, reverse=True) and min(confidences) >= 0.5
    names = {v["name"] for v in values}
    for thing in picture.objects:  # what the picture shows is among its tags
        assert {thing.colour, thing.shape} <= names
    # an indexed picture's analysis agrees with its stored tags
    record = client.app.state.service.index.find(str(picture.path))  # type: ignore[attr-defined]
    stored = client.app.state.service.index.auto_tags([record.id])[record.id]  # type: ignore[attr-defined]
    assert {v["name"]: v["confidence"] for v in values} == pytest.approx(stored, abs=1e-4)


def test_what_is_not_offered_gets_azures_errors(make_client: Any) -> None:
    client = make_client(api_keys=["k"])
    key = {"Ocp-Apim-Subscription-Key": "k", **RAW}
    data = png_bytes()
    assert _error(client.post(ANALYZE, params=V, content=data, headers=RAW), 401)["code"] == "401"
    _error(client.post(ANALYZE, params={"api-version": "2099-01-01", "features": "tags"},
                       content=data, headers=key), 404)  # fmt: skip
    _error(client.post(ANALYZE, params=V, content=data, headers=key), 400, "InvalidParameter")
    for feature in ("caption", "denseCaptions", "people", "smartCrops", "objects"):
        said = _error(
            client.post(ANALYZE, params={**V, "features": f"tags,{feature}"}, content=data,
                        headers=key), 400, "NotSupportedFeature",
        )  # fmt: skip
        assert feature in said["message"]
    _error(client.post(ANALYZE, params={**V, "features": "colour"}, content=data, headers=key),
           400, "InvalidParameter")  # fmt: skip
    _error(client.post(ANALYZE, params={**V, "features": "tags", "language": "de"}, content=data,
                       headers=key), 400, "NotSupportedLanguage")  # fmt: skip
    _error(client.post(ANALYZE, params={**V, "features": "tags"}, content=b"not a picture",
                       headers=key), 400, "InvalidImageFormat")  # fmt: skip
    _error(client.post(ANALYZE, params={**V, "features": "tags"}, content=b"", headers=key),
           400, "InvalidImageSize")  # fmt: skip
    # Tags is case-blind, as Azure's feature names are
    fine = client.post(ANALYZE, params={**V, "features": "Tags"}, content=data, headers=key)
    assert fine.status_code == 200 and "tagsResult" in fine.json()


def _text_picture() -> bytes:
    page = Image.new("RGB", (900, 400), (241, 236, 222))
    draw = ImageDraw.Draw(page)
    draw.text((60, 150), "INVOICE 4711", font=ImageFont.truetype(str(FONT), 80), fill=(20, 20, 25))
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.slow  # real OCR models and a real server
def test_microsofts_client_reads_tags_and_text(
    index_path: Path, shapes: Collection, local_server: LocalServer
) -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    from azure.ai.vision.imageanalysis import ImageAnalysisClient
    from azure.ai.vision.imageanalysis.models import VisualFeatures
    from azure.core.credentials import AzureKeyCredential
    from azure.core.exceptions import HttpResponseError

    env = {
        "IMGSEARCH_API_KEYS": json.dumps([KEY]),
        "IMGSEARCH_URL_ALLOW": json.dumps(["127.0.0.1"]),
    }
    with running_server(index_path, shapes.root, **env) as (endpoint, _):
        # as in the SDK's samples, with only the endpoint changed
        client = ImageAnalysisClient(endpoint=endpoint, credential=AzureKeyCredential(KEY))
        result = client.analyze(
            image_data=_text_picture(),
            visual_features=[VisualFeatures.TAGS, VisualFeatures.READ],
        )
        assert result.metadata.width == 900 and result.metadata.height == 400
        assert result.model_version == "demo-shapes"
        assert result.tags is not None
        assert all(0.5 <= tag.confidence <= 1 for tag in result.tags.list)
        assert result.read is not None
        lines = [line for block in result.read.blocks for line in block.lines]
        assert [line.text for line in lines] == ["INVOICE 4711"]
        words = lines[0].words
        assert [word.text for word in words] == ["INVOICE", "4711"]
        assert all(len(word.bounding_polygon) == 4 for word in words)
        left = lines[0].bounding_polygon[0]
        assert abs(left.x - 60) < 30 and 120 <= left.y < 200
        assert words[0].bounding_polygon[1].x <= words[1].bounding_polygon[0].x
        assert 0.5 <= words[0].confidence <= 1

        picture = shapes.images[0]
        from_url = client.analyze_from_url(
            image_url=local_server.url("/image.png"), visual_features=[VisualFeatures.TAGS]
        )
        assert from_url.metadata.width == 64 and from_url.tags is not None
        stars = client.analyze(
            image_data=picture.path.read_bytes(), visual_features=[VisualFeatures.TAGS]
        )
        names = {tag.name for tag in stars.tags.list}
        assert {picture.objects[0].colour, picture.objects[0].shape} <= names

        wrong = ImageAnalysisClient(endpoint=endpoint, credential=AzureKeyCredential("wrong"))
        with pytest.raises(HttpResponseError) as denied:
            wrong.analyze(image_data=png_bytes(), visual_features=[VisualFeatures.TAGS])
        assert denied.value.status_code == 401
        with pytest.raises(HttpResponseError) as refused:
            client.analyze(image_data=png_bytes(), visual_features=[VisualFeatures.CAPTION])
        assert refused.value.status_code == 400
        assert refused.value.error is not None and refused.value.error.code == "InvalidRequest"


def test_the_collections_tags_over_http(make_client: Any, shapes: Collection) -> None:
    client = make_client()
    body = client.get("/v1/tags").json()
    assert body["total"] == body["tagged"] == len(shapes.images)
    assert body["vocabulary"]["template"] == "{}" and len(body["vocabulary"]["tags"]) == 48
    counts = {entry["tag"]: entry["count"] for entry in body["automatic"]}
    assert counts and all(n > 0 for n in counts.values()) and body["own"] == []
    tag = max(counts, key=lambda t: (counts[t], t))
    listed = client.post(
        "/v1/browse", json={"filters": {"tags": [tag]}, "top": 1000, "facets": True}
    ).json()
    assert listed["total"] == counts[tag]
    assert all(tag in item["auto_tags"] for item in listed["items"])
    assert {e["tag"]: e["count"] for e in listed["facets"]["auto_tags"]}[tag] == counts[tag]
    rest = client.post("/v1/browse", json={"filters": {"not_tags": [tag]}, "top": 1000}).json()
    assert rest["total"] == len(shapes.images) - counts[tag]
    one = client.get(f"/v1/images/{listed['items'][0]['id']}").json()
    assert tag in one["auto_tags"] and 0.5 <= one["auto_tags"][tag] <= 1
