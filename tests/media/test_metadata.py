"""What a photo says about itself: capture time (with and without offsets), camera, GPS."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from imgsearch.media.decode import read_image
from tests.conftest import photo

MAKE, MODEL, DATETIME = 0x010F, 0x0110, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ORIGINAL, OFFSET = 0x9003, 0x9011


def with_exif(exif: Image.Exif, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    photo(40, 30).save(buffer, fmt, exif=exif)
    return buffer.getvalue()


def test_capture_time_with_an_offset_is_that_moment() -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD).update({ORIGINAL: "2023:06:01 14:30:00", OFFSET: "+02:00"})
    info = read_image(with_exif(exif), pixels=False).info
    expected = datetime(2023, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    assert info.captured_at == expected.timestamp()


def test_capture_time_without_an_offset_is_read_as_local_time() -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[ORIGINAL] = "2020:01:02 03:04:05"
    info = read_image(with_exif(exif), pixels=False).info
    assert info.captured_at == datetime(2020, 1, 2, 3, 4, 5).timestamp()


def test_the_plain_datetime_is_used_when_no_original_time_is_given() -> None:
    exif = Image.Exif()
    exif[DATETIME] = "2019:12:31 23:59:59\x00"
    assert read_image(with_exif(exif), pixels=False).info.captured_at == (
        datetime(2019, 12, 31, 23, 59, 59).timestamp()
    )


@pytest.mark.parametrize("value", ["not a date", "0000:00:00 00:00:00", "2023:13:45 99:99:99"])
def test_nonsense_times_are_unknown_not_errors(value: str) -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[ORIGINAL] = value
    assert read_image(with_exif(exif), pixels=False).info.captured_at is None


@pytest.mark.parametrize(
    ("make", "model", "camera"),
    [
        ("Canon", "Canon EOS R5", "Canon EOS R5"),  # the make is not said twice
        ("FUJIFILM", "X-T4", "FUJIFILM X-T4"),
        (None, "Pixel 8", "Pixel 8"),
        ("  ", None, None),
    ],
)
def test_camera_names(make: str | None, model: str | None, camera: str | None) -> None:
    exif = Image.Exif()
    if make is not None:
        exif[MAKE] = make
    if model is not None:
        exif[MODEL] = model
    assert read_image(with_exif(exif), pixels=False).info.camera == camera


def test_gps_in_degrees_minutes_seconds_with_hemispheres() -> None:
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update(
        {1: "S", 2: (33.0, 51.0, 54.0), 3: "E", 4: (151.0, 12.0, 36.0)}  # Sydney
    )
    info = read_image(with_exif(exif), pixels=False).info
    assert info.latitude == pytest.approx(-33.865) and info.longitude == pytest.approx(151.21)


def test_impossible_gps_is_unknown() -> None:
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (123.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)})
    info = read_image(with_exif(exif), pixels=False).info
    assert info.latitude is None and info.longitude is None


def test_upright_size_follows_the_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: 40x30 stored, 30x40 shown
    info = read_image(with_exif(exif), pixels=False).info
    assert (info.width, info.height) == (30, 40)
