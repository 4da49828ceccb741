from __future__ import annotations

import pytest

from imgsearch.errors import InvalidBox
from imgsearch.types import Box


def test_parse_integers_as_pixels() -> None:
    assert Box.parse("10,20,30,40") == Box(10, 20, 30, 40, unit="px")


def test_parse_decimals_as_fractions() -> None:
    box = Box.parse("0.1, 0.2, 0.5, 0.25")
    assert box.unit == "fraction"
    assert box.to_pixels(200, 100) == (20, 20, 120, 45)


def test_parse_refuses_mixed_units() -> None:
    with pytest.raises(InvalidBox, match="mixes pixel and fractional"):
        Box.parse("10,0.2,30,40")


@pytest.mark.parametrize("text", ["", "1,2,3", "a,b,c,d", "1,2,3,4,5", "-1,2,3,4"])
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidBox, match="cannot read box"):
        Box.parse(text)


def test_zero_area_is_refused() -> None:
    with pytest.raises(InvalidBox, match="zero area"):
        Box(5, 5, 0, 10)


def test_box_outside_image_is_refused() -> None:
    with pytest.raises(InvalidBox, match="outside the 100x80 image"):
        Box(50, 10, 60, 20).to_pixels(100, 80)


def test_fraction_past_the_edge_is_refused() -> None:
    with pytest.raises(InvalidBox, match="extends past the image"):
        Box(0.6, 0.0, 0.5, 0.5, unit="fraction")


def test_padding_widens_and_clips_to_image() -> None:
    assert Box(10, 10, 20, 20, padding=0.25).to_pixels(100, 100) == (5, 5, 35, 35)
    assert Box(0, 0, 20, 20, padding=0.5).to_pixels(25, 25) == (0, 0, 25, 25)


def test_subpixel_fractional_box_is_refused() -> None:
    with pytest.raises(InvalidBox, match="less than one pixel"):
        Box(0.5, 0.5, 0.001, 0.001, unit="fraction").to_pixels(100, 100)
