"""Regions over HTTP: hits say which box matched, label filters, object hits, a region
as the query, and an image's regions with its metadata."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.demo.shapes import COLOURS
from imgsearch.server import ServerSettings, create_app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Collection]]:
    folder = tmp_path_factory.mktemp("regions-api")
    collection = generate_collection(folder / "shapes", 10, seed=21)
    with Index.open(folder / "index", model="fake-hash") as index:
        index.update([collection.root])
        index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
    settings = ServerSettings(index=folder / "index", roots=[collection.root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client, collection


def test_an_image_lists_its_regions_and_a_region_is_a_query(
    served: tuple[TestClient, Collection],
) -> None:
    client, collection = served
    image = collection.images[2]
    [hit] = client.post(
        "/v1/search",
        json={"text": "shape", "top": 1, "filters": {"under": [str(image.path.parent)]}},
    ).json()["hits"]
    record = client.get(f"/v1/images/{hit['id']}").json()
    assert len(record["regions"]) == len(
        next(i for i in collection.images if str(i.path) == record["path"]).objects
    )
    region = record["regions"][0]
    assert region["source"] == "annotation" and set(region["box"]) == {"x", "y", "w", "h"}
    found = client.post(
        "/v1/search", json={"parts": [{"region_id": region["id"]}], "objects": True, "top": 1}
    ).json()
    assert found["hits"][0]["region"]["id"] == region["id"]
    assert found["hits"][0]["cosine"] == pytest.approx(1.0, abs=1e-5)
    missing = client.post("/v1/search", json={"parts": [{"region_id": 10**12}]})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    both = client.post("/v1/search", json={"parts": [{"region_id": region["id"], "text": "x"}]})
    assert both.status_code == 400


def test_labels_objects_and_whole_images(served: tuple[TestClient, Collection]) -> None:
    client, collection = served
    label = collection.images[0].objects[0].name
    holders = {str(i.path) for i in collection.images if any(o.name == label for o in i.objects)}
    hits = client.post("/v1/search", json={"text": "shape", "labels": [label], "top": 100}).json()[
        "hits"
    ]
    assert {h["path"] for h in hits} == holders
    assert all(h["region"]["label"] == label for h in hits)
    objects = client.post(
        "/v1/search", json={"text": "shape", "objects": True, "top": 1000}
    ).json()["hits"]
    assert len(objects) == sum(len(i.objects) for i in collection.images)
    whole = client.post("/v1/search", json={"text": "shape", "regions": False, "top": 5}).json()[
        "hits"
    ]
    assert all(h["region"] is None for h in whole)
    bad = client.post("/v1/search", json={"text": "shape", "sources": ["camera"]})
    assert bad.status_code == 422
    conflicting = client.post(
        "/v1/search", json={"text": "shape", "objects": True, "regions": False}
    )
    assert conflicting.status_code == 400


def test_label_suspects_over_http(served: tuple[TestClient, Collection]) -> None:
    client, collection = served
    answer = client.get("/v1/labels/suspects", params={"limit": 3}).json()
    total = sum(len(i.objects) for i in collection.images)
    assert answer["checked"] == total and sum(answer["labels"].values()) == total
    assert len(answer["suspects"]) == min(3, answer["disagreeing"])
    for suspect in answer["suspects"]:
        assert suspect["given"] != suspect["preferred"] and suspect["margin"] > 0
        assert suspect["region"]["box"] is not None and suspect["path"].startswith(
            str(collection.root)
        )
    assert client.get("/v1/labels/suspects", params={"prompt": "no slot"}).status_code == 400
    assert client.get("/v1/labels/suspects", params={"source": "camera"}).status_code == 422


def test_an_object_hit_links_to_a_crop_of_its_box(served: tuple[TestClient, Collection]) -> None:
    """The crop shows the object: its middle has the object's colour, and its shape is the
    box's with context, whatever the rest of the image holds."""
    client, collection = served
    hits = client.post("/v1/search", json={"text": "shape", "objects": True, "top": 50}).json()[
        "hits"
    ]
    labels = collection.by_path()
    checked = 0
    for hit in hits[:12]:
        region = hit["region"]
        address = region["thumbnail"]
        assert address == f"/v1/images/{hit['id']}/regions/{region['id']}/thumbnail"
        answer = client.get(address, params={"size": 128})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
        crop = Image.open(io.BytesIO(answer.content)).convert("RGB")
        box = region["box"]
        assert max(crop.size) <= 128
        assert crop.width / crop.height == pytest.approx(box["w"] / box["h"], rel=0.2)
        obj = next(
            o
            for o in labels[hit["path"]].objects
            if (o.box[0], o.box[1]) == (round(box["x"]), round(box["y"]))
        )
        centre = np.asarray(crop, dtype=np.int32)[crop.height // 2, crop.width // 2]
        assert np.abs(centre - np.array(COLOURS[obj.colour])).sum() < 80, (obj, centre)
        checked += 1
        again = client.get(
            address, params={"size": 128}, headers={"If-None-Match": answer.headers["etag"]}
        )
        assert again.status_code == 304
    assert checked == 12
    image = client.get(f"/v1/images/{hits[0]['id']}").json()
    assert all(r["thumbnail"].endswith(f"/regions/{r['id']}/thumbnail") for r in image["regions"])
    other = next(h for h in hits if h["id"] != hits[0]["id"])
    wrong = client.get(f"/v1/images/{hits[0]['id']}/regions/{other['region']['id']}/thumbnail")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "NotFound"
    assert client.get(f"/v1/images/{hits[0]['id']}/regions/0/thumbnail").status_code == 422


def _finished(client: TestClient) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (job := client.get("/v1/index").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return job  # type: ignore[no-any-return]


def test_annotations_are_imported_over_http(tmp_path: Path) -> None:
    collection = generate_collection(tmp_path / "shapes", 8, seed=23)
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        index.update([collection.root])
    document = json.loads((collection.root / ANNOTATIONS).read_text())
    document["images"].append({"id": 999, "file_name": "images/nowhere.jpg"})
    document["annotations"].append(
        {"id": 999, "image_id": 999, "category_id": 1, "bbox": [1, 1, 5, 5]}
    )
    settings = ServerSettings(index=tmp_path / "index", model="fake-hash", roots=[collection.root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        started = client.post(
            "/v1/annotations",
            content=json.dumps(document),
            headers={"Content-Type": "application/json"},
            params={"padding": 0.2},
        )
        assert started.status_code == 202, started.text
        assert started.json()["kind"] == "annotations"
        job = _finished(client)
        assert job["state"] == "done", job
        report = job["annotations"]
        boxes = sum(len(i.objects) for i in collection.images)
        assert report["format"] == "coco" and report["regions"] == boxes
        assert [p["where"] for p in report["problems"]] == ["images/nowhere.jpg"]
        objects = client.post("/v1/search", json={"text": "shape", "objects": True, "top": 100})
        assert len(objects.json()["hits"]) == boxes

        voc = (
            "<annotation><filename>images/" + collection.images[0].path.name + "</filename>"
            "<object><name>odd one</name><bndbox><xmin>2</xmin><ymin>2</ymin>"
            "<xmax>40</xmax><ymax>40</ymax></bndbox></object></annotation>"
        )
        assert (
            client.post(
                "/v1/annotations", content=voc, headers={"Content-Type": "application/xml"}
            ).status_code
            == 202
        )
        job = _finished(client)
        assert job["state"] == "done" and job["annotations"]["format"] == "voc", job
        labels = client.get("/v1/labels/suspects", params={"limit": 1000}).json()["labels"]
        assert "odd one" in labels

        for broken in (b"{not json", b"[1, 2]"):
            refused = client.post(
                "/v1/annotations", content=broken, headers={"Content-Type": "application/json"}
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["code"] == "InvalidRequest"
        odd = client.post(
            "/v1/annotations",
            content=b'{"images": 5}',
            headers={"Content-Type": "application/json"},
        )
        assert odd.status_code == 202
        reported = _finished(client)  # reported like every unusable entry, nothing imported
        assert reported["state"] == "done" and reported["annotations"]["regions"] == 0
        [problem] = reported["annotations"]["problems"]
        assert "'images' is not a list" in problem["message"]
        plain = client.post("/v1/annotations", content=b"x", headers={"Content-Type": "text/plain"})
        assert plain.status_code == 415 and plain.json()["error"]["code"] == "UnsupportedMediaType"
        empty = client.post(
            "/v1/annotations", content=b"  ", headers={"Content-Type": "application/json"}
        )
        assert empty.status_code == 400
