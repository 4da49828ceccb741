"""Detector regions in an index: found, placed in displayed pixels, labelled, resumed,
redone when the detector changes, searchable by label — from Python and the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from imgsearch import Index, Query, QueryPart
from imgsearch.demo.collection import Collection, generate_collection
from imgsearch.regions.detector import YoloDetector
from tests.cli.test_cli import imgsearch
from tests.regions.detector.graphs import colour_detector


@pytest.fixture
def shapes(tmp_path: Path) -> Collection:
    return generate_collection(tmp_path / "shapes", 16, seed=12)


def _red_holders(collection: Collection) -> set[str]:
    return {str(i.path) for i in collection.images if any(o.colour == "red" for o in i.objects)}


def test_detected_objects_become_labelled_regions_found_by_label(
    shapes: Collection, tmp_path: Path
) -> None:
    model = colour_detector(tmp_path / "colours.onnx")
    with Index.open(tmp_path / "index", model="fake-hash", create=True) as index:
        index.update([shapes.root])
        report = index.add_detector_regions([shapes.root], model)
        assert report.images == 16 and report.problems == [] and report.regions > 0
        assert report.embedded == report.regions
        labelled: set[str] = set()
        for image in shapes.images:
            for record in index.regions(image.path):
                region = record.region
                assert region.source == "detector" and region.label in ("red thing", "blue thing")
                assert region.score is not None and 0.25 <= region.score <= 1
                assert region.box is not None
                assert region.box.x + region.box.w <= image.width + 1e-6
                if region.label == "red thing":
                    labelled.add(str(image.path))
        assert labelled == _red_holders(shapes)
        hits = index.search(Query((QueryPart(text="red"),), labels=("red thing",), top=50))
        assert {h.image.path for h in hits} == labelled
        assert all(h.region is not None and h.region.region.label == "red thing" for h in hits)

        again = index.add_detector_regions([shapes.root], model)
        assert (again.images, again.skipped) == (0, 16)
        stricter = YoloDetector(model, confidence=0.9)
        redone = index.add_detector_regions([shapes.root], stricter)
        assert redone.images == 16 and redone.regions < report.regions
        assert all(
            r.region.score is not None and r.region.score >= 0.9
            for image in shapes.images
            for r in index.regions(image.path)
        )


def test_boxes_are_in_displayed_pixels_of_rotated_and_large_images(tmp_path: Path) -> None:
    """A 2400x1600 JPEG stored sideways (EXIF orientation 6) with a red square: decoded at a
    reduced scale for the detector, its box still lands on the square as displayed."""
    root = tmp_path / "photos"
    root.mkdir()
    shown = Image.new("RGB", (1600, 2400), (200, 200, 196))  # as displayed: portrait
    shown.paste((214, 36, 36), (600, 1500, 1000, 1900))  # the square, in displayed pixels
    stored = shown.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(root / "sideways.jpg", quality=92, exif=exif)
    with Index.open(tmp_path / "index", model="fake-hash", create=True) as index:
        index.update([root])
        index.add_detector_regions([root], colour_detector(tmp_path / "d.onnx"))
        regions = index.regions(root / "sideways.jpg")
    boxes = [r.region.box for r in regions if r.region.label == "red thing"]
    assert boxes and all(b is not None for b in boxes)
    left = min(b.x for b in boxes if b)
    top = min(b.y for b in boxes if b)
    right = max(b.x + b.w for b in boxes if b)
    bottom = max(b.y + b.h for b in boxes if b)
    cell = 2400 / 128 * 16  # one anchor square of the detector, in displayed pixels
    assert 600 - cell <= left <= 600 and 1000 <= right <= 1000 + cell
    assert 1500 - cell <= top <= 1500 and 1900 <= bottom <= 1900 + cell


def test_a_changed_file_is_reported_and_left_for_the_next_run(
    shapes: Collection, tmp_path: Path
) -> None:
    with Index.open(tmp_path / "index", model="fake-hash", create=True) as index:
        index.update([shapes.root])
        changed = shapes.images[0].path
        os.utime(changed, ns=(1, 1))
        report = index.add_detector_regions([shapes.root], colour_detector(tmp_path / "d.onnx"))
    assert report.images == 15
    assert report.problems == [
        (str(changed), "changed since it was indexed: index the folder again first")
    ]


def test_detector_through_the_cli(shapes: Collection, tmp_path: Path) -> None:
    model = colour_detector(tmp_path / "bare.onnx", names_in_metadata=False)
    (tmp_path / "classes.txt").write_text("crimson\nnavy\n")
    index = str(tmp_path / "index")
    done = imgsearch(
        "index", str(shapes.root), "--index", index, "--model", "fake-hash", "--json",
        "--detector", str(model), "--detector-classes", str(tmp_path / "classes.txt"),
        "--detector-confidence", "0.3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["detector"]
    assert summary["images"] == 16 and summary["regions"] > 0 and summary["problems"] == []
    found = imgsearch(
        "search", "shape", "--index", index, "--label", "crimson", "--json", "--top", "50"
    )
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    assert {r["path"] for r in rows} == _red_holders(shapes)
    assert all(
        r["region"]["source"] == "detector" and r["region"]["label"] == "crimson" for r in rows
    )
    assert all(r["region"]["score"] >= 0.3 for r in rows)

    bare = imgsearch("index", str(shapes.root), "--index", index, "--detector", str(model))
    assert bare.returncode != 0 and "names no classes" in bare.stderr
    assert "Traceback" not in bare.stderr
    orphan = imgsearch("index", str(shapes.root), "--index", index, "--detector-classes", "x.txt")
    assert orphan.returncode != 0 and "needs --detector" in orphan.stderr


def test_a_kept_detector_that_went_bad_costs_the_next_runs_nothing_but_its_regions(
    shapes: Collection, tmp_path: Path
) -> None:
    from tests.regions.detector.test_yolo import _with_input_size

    model = colour_detector(tmp_path / "d.onnx", dynamic=True)
    index = str(tmp_path / "index")
    first = imgsearch(
        "index", str(shapes.root), "--index", index, "--model", "fake-hash", "--detector", str(model)
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    _with_input_size(model, "[0, 0]")  # replaced by a broken export; the index keeps the path
    generate_collection(tmp_path / "more", 3, seed=40)
    later = imgsearch("index", str(shapes.root), str(tmp_path / "more"), "--index", index, "--json")
    assert later.returncode == 0 and "Traceback" not in later.stderr, later.stderr
    summary = json.loads(later.stdout)
    assert summary["counts"]["added"] == 3
    assert "input size" in summary["detector"]["problems"][0]["message"]
