"""Grid patches: the documented windows, stored once per image and scheme, pruned where
they repeat the whole picture, resumed and redone when the image changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch import Index
from imgsearch.errors import InvalidSettings
from imgsearch.regions.grid_windows import check_levels, grid_boxes
from tests.conftest import photo


def test_the_windows_are_the_documented_scheme() -> None:
    boxes = grid_boxes(640, 480, (2, 3))
    assert len(boxes) == 9 + 25
    level2 = boxes[:9]
    assert {(b.x, b.y, b.w, b.h) for b in level2[:3]} == {
        (0, 0, 320, 240),
        (160, 0, 320, 240),
        (320, 0, 320, 240),
    }
    assert all(b.x + b.w <= 640 and b.y + b.h <= 480 for b in boxes)
    level3 = boxes[9:]
    assert level3[-1].x + level3[-1].w == 640 and level3[-1].y + level3[-1].h == 480
    assert len(grid_boxes(7, 1000, (3,))) == 25  # narrow images still get every window
    with pytest.raises(InvalidSettings):
        check_levels([1])
    with pytest.raises(InvalidSettings):
        check_levels([2, 2])


def _scene(path: Path, seed: int) -> None:
    """A plain background with a small square: windows around the square differ from it."""
    image = Image.new("RGB", (240, 180), (40, 120, 40))
    rng = np.random.default_rng(seed)
    x, y = int(rng.integers(0, 200)), int(rng.integers(0, 140))
    image.paste(photo(36, 36, seed=seed), (x, y))
    image.save(path)


def test_grid_regions_are_stored_once_and_redone_when_an_image_changes(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    for n in range(5):
        _scene(root / f"{n}.png", n)
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        index.update([root])
        first = index.add_grid_regions([root], levels=(2,))
        assert (first.images, first.embedded, first.skipped) == (5, 45, 0)
        assert first.regions + first.pruned == 45
        assert index.status().regions == first.regions
        whole = {
            r.id: index.store.vectors([r.id])[0]
            for r in (index.find(root / f"{n}.png") for n in range(5))
        }
        for image_id, vector in whole.items():
            kept = index.store.regions.of([image_id])
            if kept:
                cosines = index.store.regions.vectors([r.id for r in kept]) @ vector
                assert (cosines < 0.95).all()
        again = index.add_grid_regions([root], levels=(2,))
        assert (again.images, again.embedded, again.skipped) == (0, 0, 5)
        # Another scheme redoes them all; a changed image is redone after its re-index.
        other = index.add_grid_regions([root], levels=(2, 3))
        assert (other.images, other.embedded) == (5, 5 * 34)
        _scene(root / "0.png", 99)
        index.update([root])
        redo = index.add_grid_regions([root], levels=(2, 3))
        assert (redo.images, redo.skipped) == (1, 4)


def test_grid_through_the_cli(tmp_path: Path) -> None:
    from tests.cli.test_cli import imgsearch

    root = tmp_path / "photos"
    root.mkdir()
    for n in range(4):
        _scene(root / f"{n}.png", n)
    index = tmp_path / "index"
    result = imgsearch(
        "index",
        str(root),
        "--index",
        str(index),
        "--model",
        "fake-hash",
        "--regions",
        "grid",
        "--grid-levels",
        "2",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    grid = json.loads(result.stdout)["grid"]
    assert grid["images"] == 4 and grid["regions"] + grid["pruned"] == 36
    bad = imgsearch("index", str(root), "--index", str(index), "--regions", "boxes")
    assert bad.returncode != 0 and "use none or grid" in bad.stderr
    levels = imgsearch(
        "index", str(root), "--index", str(index), "--regions", "grid", "--grid-levels", "1"
    )
    assert levels.returncode != 0 and "grid levels" in levels.stderr
