"""Previews: a picture as a tiny PNG inside the answer that lists it (search and browse),
in the picture's shape, made from the thumbprint stored at index time."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from imgsearch import Index
from imgsearch.duplicates.thumbprint import SIDE, thumbprint
from imgsearch.models.preprocess import ImagePreprocess, Preprocessor
from imgsearch.server import ServerSettings, create_app
from imgsearch.server.previews import FLAT_GREY, MAX_PREVIEWS, Preprocessing, preview_png

SQUASH, CROP = Preprocessing("squash"), Preprocessing("shortest")


def _cells() -> bytes:
    """A thumbprint whose left half is red and right half blue."""
    pixels = np.zeros((3, 64, 64), np.float32)
    pixels[0, :, :32] = 1.0
    pixels[2, :, 32:] = 1.0
    return thumbprint(pixels)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def test_a_squashed_thumbprint_is_unsquashed_to_the_pictures_shape() -> None:
    wide = _image(preview_png(_cells(), 300, 200, SQUASH))
    assert wide.size == (SIDE, round(SIDE * 2 / 3))
    assert wide.getpixel((0, 5))[0] > 200 and wide.getpixel((SIDE - 1, 5))[2] > 200
    assert _image(preview_png(_cells(), 200, 300, SQUASH)).size == (round(SIDE * 2 / 3), SIDE)
    assert _image(preview_png(_cells(), 50, 50, SQUASH)).size == (SIDE, SIDE)
    # past 2.5:1 a tile stops widening (the page's ratioOf): so does its preview
    assert _image(preview_png(_cells(), 1000, 10, SQUASH)).size == (SIDE, round(SIDE / 2.5))


def test_a_centre_crop_keeps_its_cells_in_the_middle_and_repeats_their_edges() -> None:
    wide = np.asarray(_image(preview_png(_cells(), 300, 200, CROP)))
    assert wide.shape == (SIDE, SIDE * 3 // 2, 3)
    left = (SIDE * 3 // 2 - SIDE) // 2
    assert (
        wide[:, left : left + SIDE] == np.asarray(_image(preview_png(_cells(), 1, 1, SQUASH)))
    ).all()
    assert (wide[:, 0] == wide[:, left]).all() and (wide[:, -1] == wide[:, left + SIDE - 1]).all()
    tall = _image(preview_png(_cells(), 200, 300, CROP))
    assert tall.size == (SIDE, SIDE * 3 // 2)
    flat = _image(preview_png(bytes(3 * SIDE * SIDE), 10, 10, SQUASH))
    assert flat.getpixel((3, 3)) == (FLAT_GREY,) * 3  # one colour all over: grey, not black
    with pytest.raises(ValueError, match="768 bytes"):
        preview_png(b"short", 10, 10, SQUASH)


def test_the_models_normalisation_is_undone_so_a_preview_keeps_the_pictures_colours() -> None:
    clip = ImagePreprocess(size=64, resize="squash")  # CLIP's mean and std, as demo-shapes
    picture = np.zeros((64, 64, 3), np.uint8)
    picture[:32, :32] = (255, 255, 255)  # white, black and three colours of a photo
    picture[:32, 32:] = (200, 60, 30)
    picture[32:, :32] = (40, 120, 200)
    picture[32:, 32:48] = (128, 128, 128)
    pixels = Preprocessor(clip)(Image.fromarray(picture))
    model = Preprocessing.of(clip.to_dict())
    preview = np.asarray(_image(preview_png(thumbprint(pixels), 64, 64, model)), np.int32)
    for (y, x), colour in {(3, 3): (255, 255, 255), (3, 12): (200, 60, 30),
                           (12, 3): (40, 120, 200), (12, 9): (128, 128, 128),
                           (12, 14): (0, 0, 0)}.items():  # fmt: skip
        assert np.abs(preview[y, x] - colour).max() <= 3, (y, x, preview[y, x])
    # without undoing it, grey would come out bluish and white cyan-tinted
    raw = np.asarray(_image(preview_png(thumbprint(pixels), 64, 64, SQUASH)), np.int32)
    assert raw[12, 9, 2] - raw[12, 9, 0] > 10


def _decoded(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return _image(base64.b64decode(url[len(prefix) :], validate=True))


def _served(tmp_path: Path) -> TestClient:
    """Four 64 × 48 pictures, each a colour with a white band; and one of one colour."""
    root = tmp_path / "photos"
    root.mkdir()
    for name, colour in (("red", (220, 20, 20)), ("green", (20, 160, 20)),
                         ("blue", (20, 20, 220)), ("dark", (30, 30, 30))):  # fmt: skip
        picture = Image.new("RGB", (64, 48), colour)
        picture.paste((255, 255, 255), (48, 0, 64, 48))
        picture.save(root / f"{name}.png")
    Image.new("RGB", (64, 48), (250, 250, 250)).save(root / "white.png")
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        index.update([root])
    settings = ServerSettings(index=tmp_path / "index", roots=[root])
    return TestClient(create_app(settings), base_url="http://localhost")


def test_search_and_browse_answers_carry_previews_when_asked(tmp_path: Path) -> None:
    with _served(tmp_path) as client:
        plain = client.post("/v1/search", json={"text": "red", "top": 4}).json()["hits"]
        assert len(plain) == 4 and all(hit["preview"] is None for hit in plain)
        asked = client.post("/v1/search", json={"text": "red", "top": 4, "previews": 2}).json()
        shown = [hit["preview"] for hit in asked["hits"]]
        assert shown[2:] == [None, None] and all(shown[:2])
        for hit in asked["hits"][:2]:
            assert _decoded(hit["preview"]).size == (SIDE, SIDE * 48 // 64)  # their shape
        browsed = client.post("/v1/browse", json={"top": 5, "previews": 5}).json()["items"]
        colours = {Path(item["path"]).stem: _decoded(item["preview"]) for item in browsed}
        for name, colour in (("red", (220, 20, 20)), ("green", (20, 160, 20)),
                             ("blue", (20, 20, 220)), ("dark", (30, 30, 30))):  # fmt: skip
            left, band = colours[name].getpixel((2, 6)), colours[name].getpixel((15, 6))
            assert np.abs(np.subtract(left, colour)).max() <= 30, (name, left)
            assert min(band) >= 225, (name, band)
        assert colours["white"].getpixel((8, 6)) == (FLAT_GREY,) * 3  # one colour: grey
        one = client.get(f"/v1/images/{browsed[0]['id']}").json()
        assert one["preview"] is None  # only where asked for
        for path, body in (
            ("/v1/search", {"text": "red", "previews": MAX_PREVIEWS + 1}),
            ("/v1/search", {"text": "red", "previews": True}),
            ("/v1/browse", {"previews": -1}),
        ):
            refused = client.post(path, json=body)
            assert refused.status_code == 422 and refused.json()["error"]["code"], body
