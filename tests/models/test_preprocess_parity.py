"""Our numpy/PIL preprocessing equals transformers' image processors (max |diff| <= 1e-5)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from imgsearch.media.decode import DecodeOptions, load_rgb
from imgsearch.models.preprocess import ImagePreprocess, Preprocessor
from tests.conftest import photo

pytestmark = pytest.mark.model  # compares with transformers' image processors

transformers = pytest.importorskip("transformers")

SIZES = [(640, 480), (480, 640), (224, 224), (1000, 300), (97, 311), (225, 1000), (4000, 3000)]
NO_DRAFT = DecodeOptions(draft_factor=0)


def processors() -> list[object]:
    return [transformers.CLIPImageProcessorPil(), transformers.SiglipImageProcessorPil()]


def reference(processor: object, image: Image.Image) -> np.ndarray:
    return np.asarray(processor(images=image, return_tensors="np")["pixel_values"][0])  # type: ignore[operator]


def ours(processor: object, source: object, options: DecodeOptions = NO_DRAFT) -> np.ndarray:
    config = ImagePreprocess.from_hf_processor(processor.to_dict())  # type: ignore[attr-defined]
    rgb = load_rgb(source, min_short_edge=config.size, options=options)  # type: ignore[arg-type]
    return Preprocessor(config)(rgb)


@pytest.mark.parametrize("processor", processors(), ids=["clip", "siglip"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_pixels_match_transformers(processor: object, size: tuple[int, int]) -> None:
    image = photo(*size, seed=size[0])
    expected = reference(processor, image)
    actual = ours(processor, image)
    assert actual.shape == expected.shape == (3, 224, 224)
    assert np.abs(actual - expected).max() <= 1e-5


@pytest.mark.parametrize("processor", processors(), ids=["clip", "siglip"])
@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "RGBA", "LA"])
def test_modes_match_transformers(processor: object, mode: str) -> None:
    image = photo(300, 200).convert(mode)
    if mode in ("RGBA", "LA"):
        image.putalpha(255)  # opaque: transformers drops alpha, we composite, same result
    expected = reference(processor, image)
    assert np.abs(ours(processor, image) - expected).max() <= 1e-5


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_matches_transformers_on_the_upright_image(orientation: int) -> None:
    processor = transformers.CLIPImageProcessorPil()
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    photo(400, 260).save(buffer, "PNG", exif=exif)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))).convert("RGB")
    expected = reference(processor, upright)
    assert np.abs(ours(processor, buffer.getvalue()) - expected).max() <= 1e-5


def test_draft_decoding_moves_pixels_negligibly() -> None:
    """Reduced-scale JPEG decoding of a 12 MP photo vs full decoding, after preprocessing.

    Normalised pixels span about 4 units; the mean shift must stay under 1% of
    that and well inside JPEG's own noise.
    """
    processor = transformers.CLIPImageProcessorPil()
    buffer = io.BytesIO()
    photo(4000, 3000, seed=7).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    full = ours(processor, data)
    drafted = ours(processor, data, DecodeOptions(draft_factor=2.0))
    difference = np.abs(full - drafted)
    assert difference.mean() < 0.04
    assert np.percentile(difference, 99) < 0.25
