"""``POST /v1/browse``: the collection without a query, newest first, narrowed by the
search's filters, with the counts beside it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Index
from imgsearch.server import ServerSettings, create_app

DAY = 86_400


def picture(path: Path, colour: str, days_ago: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path)
    moment = 1_700_000_000 - days_ago * DAY
    os.utime(path, (moment, moment))
    return path


def served(tmp_path: Path) -> tuple[TestClient, dict[str, Path]]:
    root = tmp_path / "photos"
    files = {
        "old": picture(root / "2019" / "old.png", "red", 1500),
        "mid": picture(root / "2023" / "mid.png", "green", 200),
        "new": picture(root / "2023" / "trip" / "new.png", "blue", 1),
        "loose": picture(root / "loose.png", "white", 900),
    }
    index_path = tmp_path / "index"
    with Index.open(index_path, model="demo-shapes") as index:
        index.update([root])
        index.annotate(files["mid"], caption=None, tags=["family", "beach"])
        index.annotate(files["new"], caption=None, tags=["family"])
    settings = ServerSettings(index=index_path, roots=[root])
    client = TestClient(create_app(settings), base_url="http://localhost")
    return client, files


def names(answer: dict[str, Any]) -> list[str]:
    return [Path(item["path"]).name for item in answer["items"]]


def test_browse_lists_newest_first_pages_and_counts(tmp_path: Path) -> None:
    client, files = served(tmp_path)
    with client:
        first = client.post("/v1/browse", json={"top": 2, "facets": True})
        assert first.status_code == 200, first.text
        answer = first.json()
        assert names(answer) == ["new.png", "mid.png"] and answer["total"] == 4
        assert answer["items"][0]["links"]["thumbnail"].startswith("/v1/images/")
        facets = answer["facets"]
        root = str(files["old"].parent.parent)
        assert facets["base"] == root and facets["here"] == 1
        assert facets["folders"] == [
            {"folder": f"{root}/2019", "count": 1},
            {"folder": f"{root}/2023", "count": 2},
        ]
        assert {"tag": "family", "count": 2} in facets["tags"]
        assert sum(month["count"] for month in facets["months"]) == 4
        assert [m["month"] for m in facets["months"]] == sorted(
            m["month"] for m in facets["months"]
        )

        rest = client.post("/v1/browse", json={"top": 2, "offset": 2}).json()
        assert names(rest) == ["loose.png", "old.png"] and rest["facets"] is None

        tagged = client.post(
            "/v1/browse", json={"filters": {"tags": ["beach"], "under": [f"{root}/2023"]}}
        ).json()
        assert names(tagged) == ["mid.png"] and tagged["total"] == 1
        by_path = client.post("/v1/browse", json={"order": "path"}).json()
        assert names(by_path) == ["old.png", "mid.png", "new.png", "loose.png"]
        no_boxes = client.post("/v1/browse", json={"labels": ["bus"]}).json()
        assert no_boxes["items"] == [] and no_boxes["total"] == 0

        # the search honours the tag filter too
        hits = client.post("/v1/search", json={"text": "red", "filters": {"tags": ["family"]}})
        assert {Path(h["path"]).name for h in hits.json()["hits"]} == {"mid.png", "new.png"}


def test_browse_mistakes_are_4xx_json(tmp_path: Path) -> None:
    client, _ = served(tmp_path)
    with client:
        for body in ({"order": "random"}, {"top": 0}, {"top": 5000}, {"offset": -1},
                     {"filters": {"tags": [""]}}, {"labels": ["x"] * 65}):  # fmt: skip
            answer = client.post("/v1/browse", json=body)
            assert answer.status_code == 422, body
            assert answer.json()["error"]["code"] and answer.json()["error"]["message"]
