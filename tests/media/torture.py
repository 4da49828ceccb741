"""A torture collection, generated (no downloaded corpora): files that broke imgsearch once.

Every file gets the verdict a user should see: ``INDEXED`` or the name of the
:class:`~imgsearch.errors.ImageError` subclass it must be reported with; fuzzed files,
whose fate depends on where the mutation landed, get ``EITHER`` (indexed or any typed
error — but one verdict, the same through every entry point).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image

from tests.conftest import photo

pillow_heif.register_heif_opener()  # to write the HEIC samples (imgsearch reads them itself)

INDEXED = "indexed"
EITHER = "either"

FUZZED_PER_FORMAT = 6


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, depth: int, colour_type: int, rows: bytes = b"") -> bytes:
    """A PNG written by hand: any header (even one no encoder would write) and raw rows."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows or b"\x00"))
        + _chunk(b"IEND", b"")
    )


def dds_with_unimplemented_format() -> bytes:
    """A DDS texture header whose FOURCC pixel format Pillow raises NotImplementedError for."""
    header = struct.pack("<3I", 0x1007, 64, 64) + struct.pack("<3I", 0, 0, 0) + b"\0" * 44
    header += struct.pack("<4I", 32, 0x4, int.from_bytes(b"ZZZZ", "little"), 0)
    header += b"\0" * (120 - len(header))
    return b"DDS " + struct.pack("<I", 124) + header + b"\0" * 4096


def png_damaged_in_data_stream() -> bytes:
    """Pixels that do not compress well, then 64 bytes of the IDAT stream scrambled: Pillow
    fails after filling part of the buffer (and once indexed that half-filled buffer)."""
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))
    data = bytearray(_encode(noisy, "PNG", compress_level=1))
    start = data.find(b"IDAT") + 8 + (len(data) - data.find(b"IDAT")) // 2
    for i in range(start, start + 64):
        data[i] ^= 0x5A
    return bytes(data)


def png_damaged_at_the_end() -> bytes:
    """The end of the zlib stream (its checksum) and the IEND chunk scrambled."""
    data = bytearray(_encode(photo(200, 150), "PNG"))
    for i in range(len(data) - 24, len(data)):
        data[i] ^= 0xA5
    return bytes(data)


def tiff_with_compression(code: int) -> bytes:
    """An uncompressed TIFF relabelled with another compression (50001: WEBP-in-TIFF)."""
    data = bytearray(_encode(Image.new("RGB", (64, 48), "red"), "TIFF"))
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        offset = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, offset)[0] == 259:
            struct.pack_into("<H", data, offset + 8, code)
            return bytes(data)
    raise AssertionError("no compression tag")


def bmp_with_compression(code: int) -> bytes:
    data = bytearray(_encode(Image.new("RGB", (40, 30), "green"), "BMP"))
    struct.pack_into("<I", data, 30, code)
    return bytes(data)


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


def sixteen_bit_grey(width: int, height: int) -> bytes:
    """A 16-bit greyscale PNG that compresses to almost nothing (stripes on black)."""
    values = np.zeros((height, width), dtype=np.uint16)
    values[::97] = 60000
    return _encode(Image.fromarray(values), "PNG")


def float_tiff() -> bytes:
    ramp = np.linspace(-3.0, 40.0, 64 * 48, dtype=np.float32).reshape(48, 64)
    return _encode(Image.fromarray(ramp, "F"), "TIFF")


def int32_tiff() -> bytes:
    ramp = np.linspace(0, 65535, 64 * 48).astype(np.int32).reshape(48, 64)
    return _encode(Image.fromarray(ramp, "I"), "TIFF")


def fuzzed(data: bytes, seed: int, flips: int = 6) -> bytes:
    """``data`` with ``flips`` random bytes replaced (never the first 8: keep the signature)."""
    rng = np.random.default_rng(seed)
    mutated = bytearray(data)
    for _ in range(flips):
        mutated[int(rng.integers(8, len(mutated)))] = int(rng.integers(0, 256))
    return bytes(mutated)


def torture_files() -> dict[str, tuple[bytes, str]]:
    """File name → (bytes, expected verdict)."""
    picture = photo(160, 120, seed=3)
    rgba = Image.new("RGBA", (50, 40), (255, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (10, 10, 30, 30))
    palette = Image.new("P", (30, 30), 0)
    palette.putpalette([0, 255, 0, 255, 0, 0] + [0] * 762)
    orientation = Image.Exif()
    orientation[0x0112] = 6
    files: dict[str, tuple[bytes, str]] = {
        # -- good files in every mode and odd shape --------------------------------------
        "photo.jpg": (_encode(picture, "JPEG", quality=90), INDEXED),
        "progressive.jpg": (_encode(picture, "JPEG", progressive=True), INDEXED),
        "cmyk.jpg": (_encode(picture.convert("CMYK"), "JPEG"), INDEXED),
        "rotated.jpg": (_encode(picture, "JPEG", exif=orientation), INDEXED),
        "damaged-exif.jpg": (
            _encode(
                picture, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x13" * 50
            ),
            INDEXED,
        ),
        "bilevel.png": (_encode(picture.convert("1"), "PNG"), INDEXED),
        "grey.png": (_encode(picture.convert("L"), "PNG"), INDEXED),
        "transparent.png": (_encode(rgba, "PNG"), INDEXED),
        "grey-alpha.png": (_encode(rgba.convert("LA"), "PNG"), INDEXED),
        "palette-transparent.png": (_encode(palette, "PNG", transparency=0), INDEXED),
        "grey16.png": (sixteen_bit_grey(300, 200), INDEXED),
        "rgb16.png": (raw_png(8, 4, 16, 2, (b"\0" + b"\xff\xff\x00\x00\x80\x00" * 8) * 4), INDEXED),
        "rgba16.png": (
            raw_png(8, 4, 16, 6, (b"\0" + b"\xff\xff\x00\x00\x80\x00\x40\x00" * 8) * 4),
            INDEXED,
        ),
        "float.tif": (float_tiff(), INDEXED),
        "int32.tif": (int32_tiff(), INDEXED),
        "animated.gif": (
            _encode(picture, "GIF", save_all=True, append_images=[picture.rotate(90)]),
            INDEXED,
        ),
        "lossless.webp": (_encode(picture, "WEBP", lossless=True), INDEXED),
        "odd-size.heic": (_encode(photo(33, 17), "HEIF"), INDEXED),
        "odd-size.avif": (_encode(photo(33, 17), "AVIF"), INDEXED),
        "one-pixel.png": (_encode(Image.new("RGB", (1, 1), "red"), "PNG"), INDEXED),
        "panorama.png": (_encode(Image.new("RGB", (6000, 100), "blue"), "PNG"), INDEXED),
        "png-damaged-end.png": (png_damaged_at_the_end(), EITHER),
        # -- bad files, each with the error a user should read ---------------------------
        "dds-texture.png": (dds_with_unimplemented_format(), "UnsupportedImage"),
        "webp-in-tiff.tif": (tiff_with_compression(50001), "UnsupportedImage"),
        "jpeg-compressed.bmp": (bmp_with_compression(4), "UnsupportedImage"),
        "png-damaged-data.png": (png_damaged_in_data_stream(), "CorruptImage"),
        "truncated.png": (truncated(_encode(picture, "PNG")), "CorruptImage"),
        "truncated.jpg": (truncated(_encode(picture, "JPEG", quality=90)), "CorruptImage"),
        "truncated.heic": (truncated(_encode(photo(64, 48), "HEIF"), 0.5), "CorruptImage"),
        "bomb.png": (raw_png(100_000, 100_000, 8, 0), "PixelLimitExceeded"),
        "sliver.png": (raw_png(1, 83_886_338, 8, 0), "InvalidImageDimensions"),
        "needle.png": (raw_png(20_000, 10, 8, 0), "InvalidImageDimensions"),
        "empty.jpg": (b"", "EmptyFile"),
        "text.png": (b"these are not pixels\n" * 20, "UnsupportedImage"),
        "noise.jpg": (np.random.default_rng(5).bytes(4096), "UnsupportedImage"),
    }
    sources = {
        "jpg": _encode(picture, "JPEG"),
        "png": _encode(picture, "PNG"),
        "gif": _encode(picture, "GIF"),
        "webp": _encode(picture, "WEBP"),
        "tif": _encode(picture, "TIFF", compression="tiff_lzw"),
        "bmp": _encode(picture, "BMP"),
    }
    for extension, data in sources.items():
        for seed in range(FUZZED_PER_FORMAT):
            files[f"fuzzed-{seed}.{extension}"] = (fuzzed(data, seed), EITHER)
    return files


def write_torture_collection(folder: Path) -> dict[str, str]:
    """Write every torture file into ``folder``; returns file path → expected verdict."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (data, verdict) in torture_files().items():
        path = folder / name
        path.write_bytes(data)
        expected[str(path.resolve())] = verdict
    return expected
