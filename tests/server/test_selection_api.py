"""``/v1/selection/…``: many items at once — exported as CSV, JSON lines or a COCO subset
with their boxes, downloaded as one zip (streamed; a file gone since is named, not
fatal), tagged and captioned together."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from imgsearch.server import ServerSettings, create_app


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, Index, Path]:
    root = tmp_path / "photos"
    generate_collection(root, 12, seed=5)
    index_path = tmp_path / "index"
    with Index.open(index_path, model="demo-shapes") as index:
        index.update([root])
        assert index.import_annotations(root / ANNOTATIONS, [root]).problems == []
    client = TestClient(
        create_app(ServerSettings(index=index_path, roots=[root])), base_url="http://localhost"
    )
    opened = Index.open(index_path)
    yield client, opened, root
    opened.close()


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer


def test_csv_and_json_lines_list_the_items_in_the_order_chosen(served: Any) -> None:
    client, index, _root = served
    with client:
        record = index.get(3)
        client.put("/v1/images/3/annotation", json={"caption": "=HYPERLINK(1)", "tags": ["a", "b"]})
        answer = post(client, "/v1/selection/export", {"ids": [3, 1, 3], "format": "csv"})
        assert answer.headers["content-type"].startswith("text/csv")
        assert "imgsearch-selection.csv" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [int(r["id"]) for r in rows] == [3, 1]  # each once, as chosen
        assert rows[0]["path"] == record.path and rows[0]["name"] == Path(record.path).name
        assert rows[0]["caption"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
        assert rows[0]["tags"] == "a;b" and rows[0]["width"] == str(record.width)
        lines = post(client, "/v1/selection/export", {"ids": [1, 999], "format": "json"}).text
        items = [json.loads(line) for line in lines.splitlines()]
        assert [i["id"] for i in items] == [1] and items[0]["media"] == "image"


def test_a_coco_subset_holds_the_pictures_chosen_with_their_labelled_boxes(served: Any) -> None:
    client, index, _ = served
    with client:
        chosen = [2, 5, 7]
        document = post(client, "/v1/selection/export", {"ids": chosen, "format": "coco"}).json()
    assert [image["id"] for image in document["images"]] == chosen
    names = {c["id"]: c["name"] for c in document["categories"]}
    expected = sorted(
        (r.image_id, r.region.label, r.region.box.x, r.region.box.y)
        for i in chosen
        for r in index.regions(i)
        if r.region.label and r.region.box
    )
    got = sorted(
        (a["image_id"], names[a["category_id"]], a["bbox"][0], a["bbox"][1])
        for a in document["annotations"]
    )
    assert got == expected and expected  # every labelled box, nothing else
    assert len({a["id"] for a in document["annotations"]}) == len(got)
    assert document["images"][0]["file_name"] == Path(index.get(2).path).name


def test_a_zip_holds_the_files_and_names_a_file_gone_since(served: Any) -> None:
    client, index, _root = served
    gone = Path(index.get(4).path)
    gone.unlink()
    with client:
        answer = post(client, "/v1/selection/archive", {"ids": [1, 4, 2]})
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        assert names == [Path(index.get(i).path).name for i in (1, 2)] + ["imgsearch-missing.txt"]
        for image_id in (1, 2):
            path = Path(index.get(image_id).path)
            assert archive.read(path.name) == path.read_bytes()
        assert str(gone) in archive.read("imgsearch-missing.txt").decode()


def test_tags_and_captions_change_on_many_at_once(served: Any) -> None:
    client, index, _ = served
    with client:
        body = {"ids": [1, 2, 3, 12345], "add_tags": ["trip", "beach"]}
        assert post(client, "/v1/selection/annotate", body).json() == {
            "changed": 3, "unchanged": 0, "missing": [12345],
        }  # fmt: skip
        again = post(client, "/v1/selection/annotate", {"ids": [1, 2], "add_tags": ["trip"]})
        assert again.json()["changed"] == 0  # already tagged: nothing written
        post(
            client,
            "/v1/selection/annotate",
            {"ids": [2], "remove_tags": ["beach"], "caption": "dunes"},
        )
        found = client.post("/v1/browse", json={"filters": {"tags": ["beach"]}}).json()
    assert sorted(i["id"] for i in found["items"]) == [1, 3]
    assert index.get(2).tags == ("trip",) and index.get(2).caption == "dunes"


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/selection/export", {"ids": []}),
        ("/v1/selection/export", {"ids": [0]}),
        ("/v1/selection/export", {"ids": [1], "format": "xml"}),
        ("/v1/selection/archive", {"ids": list(range(1, 10_002))}),
        ("/v1/selection/annotate", {"ids": [1]}),
        ("/v1/selection/annotate", {"ids": [1], "add_tags": ["x"], "remove_tags": ["x"]}),
    ],
)
def test_mistakes_are_4xx_json(served: Any, path: str, body: dict[str, Any]) -> None:
    client, _, _ = served
    with client:
        answer = client.post(path, json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["message"]
