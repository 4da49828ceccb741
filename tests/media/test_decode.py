"""Decoding every supported format and mode into an upright RGB image, and refusing bad files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch.errors import (
    CorruptImage,
    EmptyFile,
    ImageNotFound,
    ImageUnreadable,
    InputError,
    InvalidBox,
    PixelLimitExceeded,
    UnsupportedImage,
)
from imgsearch.media.decode import DecodeOptions, load_rgb, read_crops
from imgsearch.types import Box
from tests.conftest import photo


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


@pytest.mark.parametrize(
    ("fmt", "params", "tolerance"),
    [
        ("JPEG", {"quality": 95}, 4.0),
        ("JPEG", {"quality": 95, "progressive": True}, 4.0),
        ("PNG", {}, 0.0),
        ("BMP", {}, 0.0),
        ("TIFF", {}, 0.0),
        ("WEBP", {"lossless": True}, 0.0),
        ("GIF", {}, 12.0),  # palette quantisation
        ("ICO", {"sizes": [(64, 64)]}, 0.0),
        ("AVIF", {"quality": 95}, 8.0),
        ("HEIF", {"quality": 95}, 8.0),
    ],
)
def test_formats_decode_to_the_same_picture(
    fmt: str, params: dict[str, object], tolerance: float
) -> None:
    original = photo(64, 64) if fmt == "ICO" else photo(120, 90)
    decoded = load_rgb(encode(original, fmt, **params))
    assert decoded.mode == "RGB"
    assert decoded.size == original.size
    assert mean_abs_diff(decoded, original) <= tolerance


def test_cmyk_jpeg_becomes_rgb() -> None:
    original = photo(80, 60)
    decoded = load_rgb(encode(original.convert("CMYK"), "JPEG", quality=95))
    assert decoded.mode == "RGB"
    assert mean_abs_diff(decoded, original) < 6


def test_mpo_uses_the_first_frame() -> None:
    first, second = photo(80, 60, seed=1), photo(80, 60, seed=2)
    data = encode(first, "MPO", save_all=True, append_images=[second], quality=95)
    decoded = load_rgb(data)
    assert mean_abs_diff(decoded, first) < mean_abs_diff(decoded, second)


def test_animated_gif_uses_the_first_frame() -> None:
    first = Image.new("RGB", (40, 40), (255, 0, 0))
    second = Image.new("RGB", (40, 40), (0, 0, 255))
    decoded = load_rgb(encode(first, "GIF", save_all=True, append_images=[second]))
    assert decoded.getpixel((20, 20)) == (255, 0, 0)


def test_transparency_is_composited_on_the_background() -> None:
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 0, 255, 255))
    decoded = load_rgb(encode(rgba, "PNG"))
    assert decoded.getpixel((5, 5)) == (255, 255, 255)
    assert decoded.getpixel((0, 0)) == (0, 0, 255)
    grey = load_rgb(encode(rgba, "PNG"), options=DecodeOptions(background=(128, 128, 128)))
    assert grey.getpixel((5, 5)) == (128, 128, 128)


def test_palette_png_with_transparency() -> None:
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([0, 255, 0, 255, 0, 0] + [0] * 762)
    palette.putpixel((1, 1), 1)
    decoded = load_rgb(encode(palette, "PNG", transparency=0))
    assert decoded.getpixel((0, 0)) == (255, 255, 255)
    assert decoded.getpixel((1, 1)) == (255, 0, 0)


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (8, 1))
    decoded = load_rgb(encode(Image.fromarray(ramp), "PNG"))
    values = np.asarray(decoded)[0, :, 0]
    assert values[0] == 0 and values[-1] == 255
    assert 120 <= values[32] <= 135  # mid-grey stays mid-grey


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_is_applied(orientation: int) -> None:
    from PIL import ImageOps

    stored = photo(90, 60)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, "PNG", exif=exif)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    decoded = load_rgb(data)
    assert decoded.size == expected.size
    assert mean_abs_diff(decoded, expected.convert("RGB")) == 0
    assert decoded.size == ((60, 90) if orientation >= 5 else (90, 60))


def test_box_refers_to_the_upright_image() -> None:
    stored = photo(90, 60)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: displayed as 60x90
    data = encode(stored, "PNG", exif=exif)
    crop = load_rgb(data, box=Box(0, 50, 60, 40))
    assert crop.size == (60, 40)
    with pytest.raises(InvalidBox, match="outside the 60x90 image"):
        load_rgb(data, box=Box(0, 0, 90, 60))


def test_several_boxes_are_cut_from_one_decode_of_the_upright_image() -> None:
    stored = photo(90, 60)
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed as 60x90
    data = encode(stored, "PNG", exif=exif)
    boxes = [Box(0, 50, 60, 40), Box(10, 10, 5, 7), Box(0, 0, 60, 90)]
    info, crops = read_crops(data, boxes)
    assert (info.width, info.height) == (60, 90)
    for box, crop in zip(boxes, crops, strict=True):
        assert mean_abs_diff(crop, load_rgb(data, box=box)) == 0
    assert read_crops(data, [])[1] == []
    with pytest.raises(InvalidBox, match="outside the 60x90 image"):
        read_crops(data, [Box(0, 0, 10, 10), Box(0, 0, 90, 60)])


def test_one_decode_keeps_the_resolution_the_smallest_box_needs() -> None:
    data = encode(photo(2400, 1800), "JPEG", quality=90)
    _, crops = read_crops(
        data, [Box(0, 0, 2400, 1800), Box(1200, 900, 300, 300)], min_short_edge=224
    )
    assert min(crops[1].size) >= 224  # not the 1/8 scale the whole picture would allow


def test_large_jpeg_is_draft_decoded_at_reduced_scale() -> None:
    data = encode(photo(2400, 1800), "JPEG", quality=90)
    reduced = load_rgb(data, min_short_edge=224)
    full = load_rgb(data, min_short_edge=224, options=DecodeOptions(draft_factor=0))
    assert full.size == (2400, 1800)
    assert reduced.size == (600, 450)  # 1/4 scale keeps >= 2 x 224 on the short side
    assert reduced.size[1] >= 2 * 224


def test_draft_keeps_box_resolution() -> None:
    data = encode(photo(2400, 1800), "JPEG", quality=90)
    crop = load_rgb(data, box=Box(1200, 900, 600, 600), min_short_edge=224)
    assert min(crop.size) >= 2 * 224
    full = load_rgb(data, box=Box(1200, 900, 600, 600), options=DecodeOptions(draft_factor=0))
    assert full.size == (600, 600)
    assert mean_abs_diff(crop.resize((224, 224)), full.resize((224, 224))) < 3


@pytest.mark.parametrize("kind", ["path", "bytes", "file", "pil", "array"])
def test_all_source_kinds_give_the_same_pixels(kind: str, tmp_path: Path) -> None:
    original = photo(50, 40)
    path = tmp_path / "x.png"
    original.save(path)
    sources = {
        "path": path,
        "bytes": path.read_bytes(),
        "file": path.open("rb"),
        "pil": original,
        "array": np.asarray(original),
    }
    assert mean_abs_diff(load_rgb(sources[kind]), original) == 0  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageNotFound, match=r"nope\.jpg: no such file"):
        load_rgb(tmp_path / "nope.jpg")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ImageUnreadable, match="is a directory"):
        load_rgb(tmp_path)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.jpg"
    path.write_bytes(encode(photo(10, 10), "JPEG"))

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)  # root ignores chmod, so simulate it
    with pytest.raises(ImageUnreadable, match=r"locked\.jpg: permission denied"):
        load_rgb(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match=r"empty\.png: the file is empty \(0 bytes\)") as raised:
        load_rgb(path)
    assert "next run reads it again" in raised.value.hint
    with pytest.raises(EmptyFile):
        load_rgb(b"")


def test_text_file_with_image_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("these are not pixels")
    with pytest.raises(UnsupportedImage, match="not a recognised image format"):
        load_rgb(path)


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = encode(photo(200, 150), "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptImage, match=r"cut\.jpg: truncated or damaged"):
        load_rgb(path)


def test_corrupt_png_data(tmp_path: Path) -> None:
    data = bytearray(encode(photo(64, 64), "PNG"))
    data[200:260] = b"\x00" * 60
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptImage, match=r"bad\.png"):
        load_rgb(path)


def test_pixel_cap_is_checked_before_decoding() -> None:
    data = encode(Image.new("L", (4000, 3000)), "PNG")
    with pytest.raises(
        PixelLimitExceeded, match=r"4000x3000 = 12\.0 MP exceeds the 10\.0 MP limit"
    ):
        load_rgb(data, options=DecodeOptions(max_pixels=10_000_000))


def test_huge_declared_dimensions_are_refused_by_default() -> None:
    # A PNG header claiming 100000x100000 pixels: a classic decompression bomb.
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(PixelLimitExceeded):
        load_rgb(bomb)


def test_float_arrays_are_refused_with_a_hint() -> None:
    with pytest.raises(InputError, match="must be uint8"):
        load_rgb(np.zeros((4, 4, 3), dtype=np.float32))  # type: ignore[arg-type]


def test_unsupported_source_type() -> None:
    with pytest.raises(InputError, match="cannot use a int as an image"):
        load_rgb(42)  # type: ignore[arg-type]


def test_heic_is_read_without_anyone_registering_its_opener(tmp_path: Path) -> None:
    """imgsearch teaches Pillow HEIF on first open (not at import): a fresh process that
    imports only imgsearch reads a phone's HEIC photo."""
    import subprocess
    import sys

    import pillow_heif

    pillow_heif.register_heif_opener()  # only to write the sample here
    sample = tmp_path / "phone.heic"
    photo(64, 48).save(sample, format="HEIF")
    probe = (
        "import sys\n"
        "from imgsearch.media.decode import read_image\n"
        "assert 'pillow_heif' not in sys.modules\n"
        f"print(read_image({str(sample)!r}).info.format)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "HEIF"
