"""The ``scenes`` mode: many small objects in clutter that can never pass for an object."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from imgsearch.demo.clutter import CLUTTER_SIZES
from imgsearch.demo.collection import ANNOTATIONS, generate_collection, load_collection
from imgsearch.demo.shapes import COLOURS, TONES


def test_scenes_hold_three_to_eight_mostly_small_objects_in_clutter(tmp_path: Path) -> None:
    collection = generate_collection(tmp_path, 30, seed=8, mode="scenes")
    counts = [len(image.objects) for image in collection.images]
    assert min(counts) >= 3 and max(counts) <= 8 and len(set(counts)) >= 4
    sizes = Counter(o.size for image in collection.images for o in image.objects)
    assert set(sizes) == set(CLUTTER_SIZES)
    assert sizes["tiny"] + sizes["small"] > 2 * sizes["medium"]
    for image in collection.images:
        assert image.path.name.startswith("scene-")
        short = min(image.width, image.height)
        for obj in image.objects:
            low, high = CLUTTER_SIZES[obj.size]
            assert 0.6 * low * short <= max(obj.box[2:]) <= high * short + 2
        with Image.open(image.path) as opened:
            assert opened.size == (image.width, image.height)
    info = json.loads((tmp_path / ANNOTATIONS).read_text())["info"]
    assert info["mode"] == "scenes" and info["seed"] == 8
    assert load_collection(tmp_path).images == collection.images


def test_object_colours_appear_only_inside_labelled_boxes(tmp_path: Path) -> None:
    """The clutter keeps to neutral tones: every pixel near an object colour lies in the box
    of an object of that colour, so the labels are the whole truth of what is drawn."""
    collection = generate_collection(tmp_path, 12, seed=9, mode="scenes")
    palette = np.array(list(COLOURS.values()) + list(TONES.values()), dtype=np.int32)
    names = list(COLOURS) + list(TONES)
    clutter_seen = 0
    for image in collection.images:
        with Image.open(image.path) as opened:
            pixels = np.asarray(opened.convert("RGB"), dtype=np.int32)
        distance = np.abs(pixels[:, :, None, :] - palette[None, None]).sum(axis=-1)
        nearest, how_far = distance.argmin(axis=-1), distance.min(axis=-1)
        for c, colour in enumerate(COLOURS):
            mask = (nearest == c) & (how_far < 60)
            for obj in image.objects:
                if obj.colour == colour:
                    x, y, w, h = obj.box
                    mask[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2] = False
            assert mask.sum() == 0, (image.path, colour, int(mask.sum()))
        tones = {names[n] for n in np.unique(nearest[how_far < 20])} & set(TONES)
        clutter_seen += len(tones) >= 2
    assert clutter_seen >= len(collection.images) // 2


def test_a_mode_is_part_of_what_a_rerun_reuses(tmp_path: Path) -> None:
    shapes = generate_collection(tmp_path, 4, seed=1)
    scenes = generate_collection(tmp_path, 4, seed=1, mode="scenes")
    assert {i.path.name[:5] for i in shapes.images} == {"shape"}
    assert {i.path.name[:5] for i in scenes.images} == {"scene"}
    assert load_collection(tmp_path).images == scenes.images


def test_the_cli_generates_scenes(tmp_path: Path) -> None:
    from tests.cli.test_cli import imgsearch

    done = imgsearch("demo", "generate", str(tmp_path), "--count", "3", "--mode", "scenes")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / ANNOTATIONS).read_text())["info"]["mode"] == "scenes"
    assert sorted(p.name[:6] for p in (tmp_path / "images").iterdir()) == ["scene-"] * 3
    wrong = imgsearch("demo", "generate", str(tmp_path / "x"), "--mode", "crowds")
    assert wrong.returncode != 0 and "unknown collection mode" in wrong.stderr
