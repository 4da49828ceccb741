"""What a file holds by its first bytes: video containers, still images, their names."""

from __future__ import annotations

import pytest

from imgsearch.media.sniff import format_name, looks_like_image, looks_like_video


@pytest.mark.parametrize(
    ("head", "video", "image"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", True, False),  # MP4
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", True, False),  # MOV
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", False, True),  # HEIC photo
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", False, True),  # AVIF photo
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", True, False),  # Matroska / WebM
        (b"RIFF\x00\x10\x00\x00AVI LIST", True, False),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 ", False, True),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", False, True),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", False, True),
        (b"plain words, not media", False, False),
        (b"", False, False),
    ],
)
def test_signatures(head: bytes, video: bool, image: bool) -> None:
    assert looks_like_video(head) is video
    assert looks_like_image(head) is image


def test_container_names_people_use() -> None:
    mp4_family = "mov,mp4,m4a,3gp,3g2,mj2"
    assert format_name(mp4_family, b"\x00\x00\x00\x20ftypisom") == "MP4"
    assert format_name(mp4_family, b"\x00\x00\x00\x14ftypqt  ") == "MOV"
    assert format_name("matroska,webm", b"\x1a\x45\xdf\xa3....webm") == "WEBM"
    assert format_name("matroska,webm", b"\x1a\x45\xdf\xa3....matroska") == "MKV"
    assert format_name("avi", b"RIFF") == "AVI"
