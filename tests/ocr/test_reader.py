"""RapidOCR through :class:`TextReader`: words rendered with a real font are read back,
at the right place in the original image's pixels, from a downscaled copy; an image
without text gives nothing; failures are typed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from imgsearch.ocr import INSTALL, TextReader
from imgsearch.ocr.reader import OcrFailed, OcrUnavailable
from tests.conftest import photo

pytestmark = pytest.mark.slow  # real OCR models: about a second an image on 2 cores
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture(scope="module")
def reader() -> TextReader:
    pytest.importorskip("rapidocr_onnxruntime")
    return TextReader()


def _write(image: Image.Image, at: tuple[int, int], text: str, size: int) -> tuple[int, ...]:
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), size)
    draw.text(at, text, font=font, fill=(25, 25, 30))
    return tuple(draw.textbbox(at, text, font=font))


def test_lines_are_read_with_their_boxes_in_the_originals_pixels(reader: TextReader) -> None:
    page = Image.new("RGB", (3000, 2000), (241, 236, 222))  # read from a 1280-px copy
    first = _write(page, (400, 700), "INVOICE 4711", 120)
    second = _write(page, (400, 1100), "Bahnhofstrasse 12", 120)
    lines = reader.read(np.asarray(page))
    assert [line.text for line in lines] == ["INVOICE 4711", "Bahnhofstrasse 12"]
    for line, (left, top, right, bottom) in zip(lines, (first, second), strict=True):
        assert abs(line.box.x - left) < 25 and abs(line.box.y - top) < 25
        assert abs(line.box.x + line.box.w - right) < 25
        assert abs(line.box.y + line.box.h - bottom) < 25
        assert 0.5 <= line.confidence <= 1.0
        assert isinstance(line.box.x, float)


def test_a_picture_without_text_gives_no_lines_after_a_first_look_only(
    reader: TextReader,
) -> None:
    assert reader.read(np.asarray(photo(640, 480, seed=3))) == []  # (edges may get a read)
    looks, reads = reader.looks, reader.reads
    assert reader.read(np.full((300, 400, 3), 200, np.uint8)) == []
    assert reader.read(np.full((2000, 3000, 3), 90, np.uint8)) == []
    assert (reader.looks, reader.reads) == (looks + 2, reads)  # neither was read in full
    page = Image.new("RGB", (640, 480), (240, 240, 240))
    _write(page, (40, 200), "Platform 9", 40)
    assert [line.text for line in reader.read(np.asarray(page))] == ["Platform 9"]
    assert (reader.looks, reader.reads) == (looks + 3, reads + 1)


def test_without_the_first_look_every_picture_is_read_in_full() -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    thorough = TextReader(look_side=0)
    assert thorough.read(np.asarray(photo(320, 240, seed=4))) == []
    assert (thorough.looks, thorough.reads) == (0, 1)


def test_small_text_on_a_photo_like_background(reader: TextReader) -> None:
    background = photo(800, 600, seed=5).convert("L").convert("RGB")
    light = Image.new("RGB", (800, 600), (255, 255, 255))
    page = Image.blend(background, light, 0.75)  # a washed-out photo behind the words
    _write(page, (60, 250), "Opening hours 9-17", 30)
    assert [line.text for line in reader.read(np.asarray(page))] == ["Opening hours 9-17"]


def test_arrays_that_are_not_rgb_pictures_are_a_typed_failure(reader: TextReader) -> None:
    with pytest.raises(OcrFailed, match="shape"):
        reader.read(np.zeros((10, 10), np.uint8))
    with pytest.raises(OcrFailed, match="float"):
        reader.read(np.zeros((10, 10, 3), np.float32))


def test_without_rapidocr_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    with pytest.raises(OcrUnavailable) as raised:
        TextReader()
    assert raised.value.hint == INSTALL and "--no-deps rapidocr-onnxruntime==" in INSTALL
