"""Thumbprints: the same layout agrees whatever the size, brightness or quarter turn; a
different layout does not."""

from __future__ import annotations

import numpy as np

from imgsearch.duplicates.thumbprint import SIZE, as_grids, layout_agreement, thumbprint


def scene(size: int = 64, shift: int = 0) -> np.ndarray:
    """A (3, size, size) input: a bright square off-centre and a dark bar."""
    pixels = np.full((3, size, size), 0.5, np.float32)
    s = size // 8
    pixels[:, s + shift : 3 * s + shift, s : 4 * s] = 1.0
    pixels[:, 5 * s : 6 * s, 2 * s : 7 * s] = 0.0
    return pixels


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    grids = as_grids([thumbprint(a), thumbprint(b)])
    return float(layout_agreement(grids[:1], grids[1:])[0])


def test_a_thumbprint_is_256_grey_levels_stretched_to_the_full_range() -> None:
    packed = thumbprint(scene())
    values = np.frombuffer(packed, np.uint8)
    assert len(packed) == SIZE and values.min() == 0 and values.max() == 255


def test_size_brightness_contrast_and_quarter_turns_keep_the_layout() -> None:
    original = scene(64)
    assert agreement(original, scene(80)) > 0.98  # another model input size
    assert agreement(original, original * 0.6 + 0.3) > 0.99  # darker, less contrast
    for turns in (1, 2, 3):
        assert agreement(original, np.rot90(original, turns, axes=(1, 2)).copy()) > 0.99


def test_another_layout_disagrees_and_a_flat_picture_matches_nothing() -> None:
    original = scene(64)
    other = np.full((3, 64, 64), 0.5, np.float32)
    other[:, 24:40, 24:40] = 1.0  # a bright square in the middle, a dark bar at the side
    other[:, 8:56, 2:6] = 0.0
    assert agreement(original, other) < 0.5
    assert agreement(original, np.full((3, 64, 64), 0.3, np.float32)) == 0.0


def test_tiny_inputs_are_repeated_up_to_the_grid() -> None:
    tiny = scene(8)
    assert len(thumbprint(tiny)) == SIZE
    assert agreement(tiny, scene(64)) > 0.8
