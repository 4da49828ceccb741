"""Near-duplicates with the shipped ``demo-shapes`` model on a collection it was neither
trained nor fitted on: edited copies of known originals are grouped with them (pair
precision and recall), through ``Index.duplicates`` and over HTTP."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.server import ServerSettings, create_app
from tests.scaffold.variants import EDITS, Family, write_variants


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Family]]:
    root = tmp_path_factory.mktemp("duplicates") / "pictures"
    originals: list[Path] = []
    for mode in ("shapes", "scenes"):
        collection = generate_collection(root / mode, 200, seed=404, mode=mode)
        originals += [image.path for image in collection.images]
    families = write_variants(originals[::4], root / "copies", seed=404)
    index = root.parent / "index"
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([root])
    return root, index, families


def pairs_in(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(pair) for group in groups for pair in itertools.combinations(group, 2)}


@pytest.mark.slow
def test_edited_copies_are_found_with_precision_and_recall_of_at_least_0_95(
    copies: tuple[Path, Path, list[Family]],
) -> None:
    _, index, families = copies
    truth = pairs_in(
        [[str(f.original.resolve()), *(str(c.resolve()) for c in f.copies)] for f in families]
    )
    with Index.open(index, create=False) as opened:
        report = opened.duplicates()
    found = pairs_in([[m.path for m in group.members] for group in report.groups])
    right = len(found & truth)
    assert len(truth) == 100 * len(EDITS) * (len(EDITS) + 1) // 2
    assert right / len(found) >= 0.95, f"precision {right / len(found):.3f}"
    assert right / len(truth) >= 0.95, f"recall {right / len(truth):.3f}"
    assert report.pictures == 400 + 100 * len(EDITS)


@pytest.mark.slow
def test_the_http_report_matches_the_python_one_and_refuses_bad_parameters(
    copies: tuple[Path, Path, list[Family]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, index, _ = copies
    with Index.open(index, create=False) as opened:
        expected = opened.duplicates(under=[str(root / "copies")], limit=5)
    settings = ServerSettings(index=index, roots=[root])
    app = create_app(settings)
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        response = client.get(
            "/v1/duplicates",
            params={"under": str(root / "copies"), "limit": 5},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["group_count"] == expected.group_count
        assert [[m["path"] for m in g["members"]] for g in body["groups"]] == [
            [m.path for m in g.members] for g in expected.groups
        ]
        assert len(body["groups"]) == 5 and body["group_count"] > 5
        assert all("/copies/" in m["path"] for g in body["groups"] for m in g["members"])
        too_long = {"under": "/" + "x" * 1024}
        assert client.get("/v1/duplicates", params={"limit": 1}).status_code == 200
        for bad in ({"min_confidence": 1}, {"min_confidence": "x"}, {"limit": 0}, too_long):
            refused = client.get("/v1/duplicates", params=bad)
            assert refused.status_code == 422
            assert refused.json()["error"]["code"]
