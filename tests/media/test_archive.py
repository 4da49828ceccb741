"""What an archive says about a picture, as digiKam, darktable, Lightroom and exiftool
write it: XMP embedded and in sidecars (flat and hierarchical keywords, title,
description, rating, creator), IPTC-IIM and EXIF's description fields — written here with
exiftool itself — and hostile packets refused without losing the rest."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from imgsearch.media.archive import (
    ArchiveMetadata,
    archive_metadata,
    from_sidecar,
    from_xmp,
    sidecar_of,
)
from tests.conftest import exiftool_command
from tests.tags.test_sidecars import BILLION_LAUGHS, DARKTABLE, EXTERNAL


def exiftool(*args: str) -> None:
    found = exiftool_command()
    subprocess.run([found, "-q", "-overwrite_original", *args], check=True)


def opened(path: Path) -> ArchiveMetadata:
    with Image.open(path) as image:
        return archive_metadata(image, image.getexif(), path)


def test_embedded_xmp_iptc_and_exif_as_exiftool_writes_them(tmp_path: Path) -> None:
    picture = tmp_path / "a.jpg"
    Image.new("RGB", (40, 30), "red").save(picture)
    exiftool(
        "-codedcharacterset=utf8",
        "-XMP-dc:Subject=red", "-XMP-dc:Subject=star", "-XMP-dc:Title=Red star",
        "-XMP-lr:HierarchicalSubject=Places|Europe|Paris", "-XMP:Rating=4",
        "-XMP-dc:Creator=Ann Example",
        "-IPTC:Keywords=iptc one", "-IPTC:Keywords=star", "-IPTC:Caption-Abstract=Café at night",
        "-IPTC:ObjectName=ignored: XMP has a title", "-EXIF:ImageDescription=exif words",
        "-EXIF:XPKeywords=windows;star",
        str(picture),
    )  # fmt: skip
    found = opened(picture)
    assert found.title == "Red star" and found.rating == 4 and found.creator == "Ann Example"
    assert found.description == "Café at night"  # no XMP description: IPTC's
    assert found.keywords == (
        "red", "star", "Places/Europe/Paris", "Paris", "iptc one", "windows",
    )  # fmt: skip
    assert found.problems == ()


def test_a_sidecar_wins_and_png_keeps_its_xmp(tmp_path: Path) -> None:
    picture = tmp_path / "b.png"
    Image.new("RGB", (40, 30), "blue").save(picture)
    exiftool("-XMP-dc:Subject=embedded", "-XMP-dc:Description=from the file", str(picture))
    assert opened(picture).keywords == ("embedded",)
    (tmp_path / "b.png.xmp").write_bytes(DARKTABLE)  # darktable's naming
    assert sidecar_of(picture) == tmp_path / "b.png.xmp"
    found = opened(picture)
    assert found.keywords == ("holiday", "embedded") and found.rating == 4
    assert found.description == "Urlaub"  # the sidecar's only language wins over the file
    (tmp_path / "b.png.xmp").unlink()
    (tmp_path / "b.xmp").symlink_to(tmp_path / "elsewhere.xmp")
    assert sidecar_of(picture) is None  # a link is not followed
    (tmp_path / "b.xmp").unlink()
    (tmp_path / "b.xmp").write_bytes(DARKTABLE)  # Lightroom's naming
    assert sidecar_of(picture) == tmp_path / "b.xmp"


def test_hostile_packets_are_refused_and_the_rest_is_kept(tmp_path: Path) -> None:
    for packet in (BILLION_LAUGHS, EXTERNAL):
        refused = from_xmp(packet, "embedded XMP")
        assert refused.empty and "entities" in refused.problems[0]
    picture = tmp_path / "c.jpg"
    Image.new("RGB", (40, 30), "green").save(picture)
    exiftool("-IPTC:Keywords=kept", str(picture))
    sidecar = tmp_path / "c.jpg.xmp"
    sidecar.write_bytes(BILLION_LAUGHS)
    found = opened(picture)
    assert found.keywords == ("kept",) and len(found.problems) == 1
    assert found.problems[0].startswith("sidecar c.jpg.xmp:")
    assert from_sidecar(tmp_path / "missing.xmp").problems
