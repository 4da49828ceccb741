"""The generated collection: deterministic, labelled correctly, reused on re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch.demo.collection import ANNOTATIONS, generate_collection, load_collection
from imgsearch.demo.shapes import COLOURS, SHAPES, TONES
from imgsearch.errors import InputError
from imgsearch.media.decode import load_rgb


def test_same_seed_same_bytes_other_seed_other_images(tmp_path: Path) -> None:
    a = generate_collection(tmp_path / "a", 12, seed=3)
    b = generate_collection(tmp_path / "b", 12, seed=3)
    c = generate_collection(tmp_path / "c", 12, seed=4)
    assert [p.path.read_bytes() for p in a.images] == [p.path.read_bytes() for p in b.images]
    assert (tmp_path / "a" / ANNOTATIONS).read_text() == (tmp_path / "b" / ANNOTATIONS).read_text()
    assert [i.caption for i in a.images] != [i.caption for i in c.images]


def test_coco_labels_describe_what_is_drawn(tmp_path: Path) -> None:
    collection = generate_collection(tmp_path, 40, seed=1)
    document = json.loads((tmp_path / ANNOTATIONS).read_text())
    assert {"info", "images", "annotations", "categories"} <= set(document)
    assert len(document["categories"]) == len(COLOURS) * len(SHAPES)
    suffixes = {image.path.suffix for image in collection.images}
    assert suffixes == {".jpg", ".png"}
    assert len({(image.width, image.height) for image in collection.images}) > 5
    for image in collection.images:
        assert 1 <= len(image.objects) <= 3
        for obj in image.objects:
            assert obj.name in image.caption
        with Image.open(image.path) as opened:
            assert opened.size == (image.width, image.height)
            pixels = np.asarray(opened.convert("RGB"), dtype=np.int16)
        for obj in image.objects:
            x, y, w, h = obj.box
            assert x >= 0 and y >= 0 and x + w <= image.width and y + h <= image.height
            # the middle of the box has the object's colour (every shape covers its centre)
            centre = pixels[y + h // 2, x + w // 2]
            distances = {
                name: np.abs(centre - np.array(rgb)).sum()
                for name, rgb in {**COLOURS, **TONES}.items()
            }
            assert min(distances, key=distances.__getitem__) == obj.colour, (image.path, obj)


def test_files_go_through_the_real_decoder(tmp_path: Path) -> None:
    collection = generate_collection(tmp_path, 6, seed=2)
    for image in collection.images:
        assert load_rgb(image.path).size == (image.width, image.height)


def test_rerun_reuses_files_and_a_bigger_count_extends(tmp_path: Path) -> None:
    first = generate_collection(tmp_path, 5, seed=0)
    stamps = {image.path: image.path.stat().st_mtime_ns for image in first.images}
    again = generate_collection(tmp_path, 5, seed=0)
    assert again.images == first.images
    bigger = generate_collection(tmp_path, 8, seed=0)
    assert bigger.images[:5] == first.images
    assert all(image.path.stat().st_mtime_ns == stamps[image.path] for image in first.images)
    assert load_collection(tmp_path).images == bigger.images


def test_loading_a_folder_without_labels_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no generated collection"):
        load_collection(tmp_path)


def test_left_out_combinations_are_in_no_image_and_the_rest_stays(tmp_path: Path) -> None:
    full = generate_collection(tmp_path / "full", 60, seed=3)
    left = generate_collection(tmp_path / "left", 60, seed=3, leave_out=["red circle", "blue star"])
    names = {o.name for image in left.images for o in image.objects}
    assert not names & {"red circle", "blue star"}
    assert {o.name for image in full.images for o in image.objects} & {"red circle", "blue star"}
    # images that showed neither are drawn exactly as before
    untouched = [
        (a, b)
        for a, b in zip(full.images, left.images, strict=True)
        if not {o.name for o in a.objects} & {"red circle", "blue star"}
    ]
    assert untouched and all(a.objects == b.objects for a, b in untouched)
    assert json.loads((tmp_path / "left" / ANNOTATIONS).read_text())["info"]["left_out"] == [
        "blue star",
        "red circle",
    ]
    with pytest.raises(InputError, match="other left-out"):
        generate_collection(tmp_path / "left", 60, seed=3)
    with pytest.raises(InputError, match="unknown colour"):
        generate_collection(tmp_path / "x", 5, leave_out=["pink circle"])


def test_a_colour_or_a_shape_left_out_is_in_no_image(tmp_path: Path) -> None:
    left = generate_collection(tmp_path / "left", 60, seed=3, leave_out=["purple", "star"])
    objects = [o for image in left.images for o in image.objects]
    assert objects and not [o for o in objects if o.colour == "purple" or o.shape == "star"]
    recorded = json.loads((tmp_path / "left" / ANNOTATIONS).read_text())["info"]["left_out"]
    assert len(recorded) == 11 and "purple star" in recorded and "red star" in recorded


def test_the_cli_writes_query_files_with_no_answer_for_what_was_left_out(tmp_path: Path) -> None:
    from tests.cli.test_cli import imgsearch

    done = imgsearch(
        "demo", "generate", str(tmp_path), "--count", "40",
        "--leave-out", "green square", "--leave-out", "purple", "--leave-out", "star",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "queries.jsonl").read_text().splitlines()]
    by_id = {line["id"]: line for line in lines if line["id"].startswith("text")}
    assert len(by_id) == 36 + 6 + 6  # every colour + shape, every colour, every shape
    absent = {"green square", "purple", "star", "purple circle", "red star"}
    assert all(by_id[f"text: {name}"]["relevant"] == [] for name in absent)
    assert by_id["text: red"]["relevant"] and by_id["text: green circle"]["relevant"]
    assert all((tmp_path / p).is_file() for line in lines for p in line["relevant"])
    assert (tmp_path / "queries-fit.jsonl").is_file()
