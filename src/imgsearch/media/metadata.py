"""What an image file says about itself: size, format, and the EXIF a photo library shows.

Read from the header for most formats (no pixel decoding), so it costs little
even for files that are not embedded again (moves, duplicates); PNG may keep its
EXIF after the pixel data, and :mod:`imgsearch.media.decode` decodes those first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import Image

from imgsearch.media.archive import ArchiveMetadata

_MAKE, _MODEL = 0x010F, 0x0110
_DATETIME = 0x0132
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class ImageInfo:
    """Upright size, format and EXIF facts of one image; any of them may be unknown."""

    width: int
    height: int
    format: str | None
    captured_at: float | None = None
    camera: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    archive: ArchiveMetadata | None = None
    """What the file embeds for archives (XMP, IPTC, EXIF descriptions); ``None``: nothing."""


def image_info(upright: tuple[int, int], format: str | None, exif: Image.Exif) -> ImageInfo:
    """Facts of an image from its upright size, format and (possibly empty) EXIF.

    Damaged EXIF never costs the user the image: whatever cannot be read is unknown.
    """
    width, height = upright
    try:
        return ImageInfo(
            width,
            height,
            format,
            captured_at=_capture_time(exif),
            camera=_camera(exif),
            latitude=(gps := _gps(exif))["latitude"],
            longitude=gps["longitude"],
        )
    except Exception:  # a value of a type no camera writes: the facts stay unknown
        return ImageInfo(width, height, format)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.strip("\x00 \t\r\n")
    return cleaned or None


def _camera(exif: Image.Exif) -> str | None:
    make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
    if make and model and model.lower().startswith(make.lower().split()[0]):
        return model  # "Canon" + "Canon EOS R5" reads as "Canon EOS R5"
    return " ".join(part for part in (make, model) if part) or None


def _capture_time(exif: Image.Exif) -> float | None:
    try:
        details = exif.get_ifd(_EXIF_IFD)
    except Exception:
        details = {}
    raw = _text(details.get(_DATETIME_ORIGINAL)) or _text(exif.get(_DATETIME))
    if raw is None:
        return None
    try:
        moment = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _text(details.get(_OFFSET_TIME_ORIGINAL))
    if offset and len(offset) == 6 and offset[0] in "+-":
        try:
            sign = 1 if offset[0] == "+" else -1
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            return moment.replace(tzinfo=timezone(sign * delta)).timestamp()
        except ValueError:
            pass
    try:
        return moment.timestamp()  # naive: the camera's local time, read as ours
    except (OverflowError, OSError, ValueError):
        return None


def _gps(exif: Image.Exif) -> dict[str, float | None]:
    try:
        gps = exif.get_ifd(_GPS_IFD)
        latitude = _degrees(gps[_GPS_LAT], gps.get(_GPS_LAT_REF), "S")
        longitude = _degrees(gps[_GPS_LON], gps.get(_GPS_LON_REF), "W")
    except Exception:
        return {"latitude": None, "longitude": None}
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return {"latitude": None, "longitude": None}
    return {"latitude": latitude, "longitude": longitude}


def _degrees(value: tuple[float, float, float], ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    return -result if _text(ref) == negative else result
