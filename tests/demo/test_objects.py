"""Small objects found by a box: regions beat whole images, measured with the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from tests.cli.test_cli import imgsearch
from tests.scaffold.objects import box_queries, object_precision

pytestmark = pytest.mark.slow  # indexes 90 scenes with the shipped model, twice


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return generate_collection(
        tmp_path_factory.mktemp("objects") / "scenes", 90, seed=31, mode="scenes"
    )


def test_box_queries_surround_small_objects_of_common_classes(scenes: Collection) -> None:
    queries = box_queries(scenes, 40, k=3)
    assert len(queries) == 40 and len({q.image.path for q in queries}) == 40
    for query in queries:
        x, y, w, h = query.target.box
        assert query.target.size in ("tiny", "small")
        assert query.box.x <= x and query.box.y <= y
        assert query.box.x + query.box.w >= x + w and query.box.y + query.box.h >= y + h
        assert query.box.w <= 1.3 * w + 2 and query.box.h <= 1.3 * h + 2


def test_annotation_and_grid_regions_find_small_objects_whole_images_do_not(
    scenes: Collection, tmp_path: Path
) -> None:
    with (
        Index.open(tmp_path / "annotated", model="demo-shapes") as annotated,
        Index.open(tmp_path / "grid", model="demo-shapes") as grid,
    ):
        for index in (annotated, grid):
            index.update([scenes.root])
        annotated.import_annotations(scenes.root / ANNOTATIONS, [scenes.root])
        grid.add_grid_regions([scenes.root])
        queries = box_queries(scenes, 30, k=3)
        result = object_precision(
            scenes, queries, {"annotation": annotated, "grid": grid}, k=3
        )  # fmt: skip
    precision = result.precision
    assert result.queries == 30 and set(precision) == {"whole", "annotation", "grid"}
    assert precision["annotation"] >= 0.85, precision
    assert precision["grid"] >= 0.6, precision
    assert precision["annotation"] > precision["whole"] + 0.25, precision
    assert precision["grid"] > precision["whole"] + 0.15, precision


def test_a_box_around_a_tiny_object_through_the_cli(scenes: Collection, tmp_path: Path) -> None:
    index = str(tmp_path / "index")
    done = imgsearch(
        "index", str(scenes.root), "--index", index, "--model", "demo-shapes",
        "--annotations", str(scenes.root / ANNOTATIONS),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    query = next(q for q in box_queries(scenes, 90, k=4) if q.target.size == "tiny")
    box = f"{query.box.x},{query.box.y},{query.box.w},{query.box.h}"
    found = imgsearch(
        "search", "--image", str(query.image.path), "--box", box, "--index", index,
        "--json", "--top", "4",
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    others = [row for row in rows if row["path"] != str(query.image.path)][:3]
    labels = scenes.by_path()
    assert all(labels[row["path"]].contains(query.target.name) for row in others), (
        query.target.name,
        [(row["path"], row["region"]) for row in others],
    )
    # each hit says which box matched: an annotated object of the queried kind
    assert all(row["region"]["source"] == "annotation" for row in others)
    assert all(row["region"]["label"] == query.target.name for row in others)
