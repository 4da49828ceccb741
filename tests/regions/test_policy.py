"""The region policy: windows and objects the index keeps adding by itself, after every
run from Python, the CLI and the server, until told to stop."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.errors import InvalidSettings
from imgsearch.regions.policy import RegionPolicy, detector_policy, grid_policy
from imgsearch.server import ServerSettings, create_app
from tests.cli.test_cli import imgsearch
from tests.regions.detector.graphs import colour_detector


def _sources(index: Index, root: Path) -> dict[str, set[str]]:
    """Image file name → the region sources it has."""
    return {
        Path(record.path).name: {r.region.source for r in index.store.regions.of([record.id])}
        for record in index.store.get([f.id for f in index.store.files_under([str(root)])])
    }


def test_new_images_get_windows_and_objects_without_being_asked(tmp_path: Path) -> None:
    first = generate_collection(tmp_path / "photos", 4, seed=40)
    root = first.root / "images"
    model = colour_detector(tmp_path / "colours.onnx")
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        assert index.region_policy == RegionPolicy()
        index.set_region_policy(
            RegionPolicy(grid=grid_policy([2]), detector=detector_policy(model, confidence=0.3))
        )
        report = index.update([root])
        assert set(report.regions) == {"grid", "detector"}
        assert report.regions["grid"].images == 4 and report.regions["detector"].images == 4
        assert all("grid" in sources for sources in _sources(index, root).values())

        generate_collection(tmp_path / "photos", 7, seed=40)  # three more files
        later = index.update([root])
        assert later.counts["added"] == 3
        assert (later.regions["grid"].images, later.regions["grid"].skipped) == (3, 4)
        assert (later.regions["detector"].images, later.regions["detector"].skipped) == (3, 4)
        assert all("grid" in sources for sources in _sources(index, root).values())

        index.set_region_policy(RegionPolicy())
        generate_collection(tmp_path / "photos", 9, seed=40)
        stopped = index.update([root])
        assert stopped.regions == {}
        sources = _sources(index, root)
        assert sum("grid" in s for s in sources.values()) == 7  # kept; the new two have none


def test_a_detector_that_went_missing_is_a_problem_not_a_failed_run(tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path / "photos", 3, seed=41)
    model = colour_detector(tmp_path / "colours.onnx")
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        index.set_region_policy(RegionPolicy(detector=detector_policy(model)))
        model.unlink()
        report = index.update([shapes.root])
        assert report.counts["added"] == 3
        [(where, message)] = report.regions["detector"].problems
        assert where == str(model) and "cannot read detector" in message
    with pytest.raises(InvalidSettings, match="cannot read detector"):
        detector_policy(model)  # refused before it is stored


def test_the_cli_remembers_regions_and_detector_until_told_to_stop(tmp_path: Path) -> None:
    generate_collection(tmp_path / "photos", 3, seed=42)
    root, index = str(tmp_path / "photos"), str(tmp_path / "index")
    model = str(colour_detector(tmp_path / "colours.onnx"))

    def run(*flags: str) -> dict[str, object]:
        done = imgsearch("index", root, "--index", index, "--model", "fake-hash", "--json", *flags)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    first = run("--regions", "grid", "--grid-levels", "2", "--detector", model)
    assert first["grid"]["images"] == 3 and first["detector"]["images"] == 3  # type: ignore[index]
    generate_collection(tmp_path / "photos", 5, seed=42)
    plain = run()
    assert plain["grid"]["images"] == 2 and plain["detector"]["images"] == 2  # type: ignore[index]
    assert plain["grid"]["skipped"] == 3  # type: ignore[index]
    no_grid = run("--regions", "none")
    assert "grid" not in no_grid and no_grid["detector"]["images"] == 0  # type: ignore[index]
    status = imgsearch("status", "--index", index, "--json")
    assert json.loads(status.stdout)["region_policy"]["detector"]["path"] == model
    shown = imgsearch("status", "--index", index)
    assert f"kept up: detector {model}" in shown.stdout
    neither = run("--no-detector")
    assert "grid" not in neither and "detector" not in neither
    assert "kept up: nothing" in imgsearch("status", "--index", index).stdout
    clash = imgsearch("index", root, "--index", index, "--detector", model, "--no-detector")
    assert clash.returncode != 0 and "contradict" in clash.stderr


def test_the_servers_index_run_keeps_the_policy(tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path / "photos", 3, seed=43)
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        index.set_region_policy(RegionPolicy(grid=grid_policy([2])))
    settings = ServerSettings(index=tmp_path / "index", model="fake-hash", roots=[shapes.root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert client.post("/v1/index").status_code == 202
        deadline = time.monotonic() + 60
        while (job := client.get("/v1/index").json())["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert job["state"] == "done", job
        assert job["regions"]["grid"]["images"] == 3
        hit = client.post("/v1/search", json={"text": "shape", "top": 1}).json()["hits"][0]
        regions = client.get(f"/v1/images/{hit['id']}").json()["regions"]
        assert regions and all(r["source"] == "grid" for r in regions)
