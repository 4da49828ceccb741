"""Captions and tags out to XMP sidecars: written beside the pictures, merged with what a
sidecar holds, read back by a real tool (exiftool), and safe against hostile sidecars and
links; the pictures themselves are never changed."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgsearch import Index
from imgsearch.demo.collection import Collection, generate_collection
from imgsearch.media import xmp
from tests.cli.test_cli import imgsearch
from tests.conftest import exiftool_command

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="">&lol2;</rdf:Description></rdf:RDF></x:xmpmeta>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/">&secret;</x:xmpmeta>"""
DARKTABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:darktable="http://darktable.sf.net/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmp:Rating="4" darktable:history_end="1">
   <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li></rdf:Bag></dc:subject>
   <dc:description><rdf:Alt><rdf:li xml:lang="de-DE">Urlaub</rdf:li></rdf:Alt></dc:description>
   <darktable:history><rdf:Seq><rdf:li darktable:operation="exposure"/></rdf:Seq></darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def exiftool(path: Path) -> dict[str, object]:
    found = exiftool_command()
    ran = subprocess.run(
        [found, "-j", "-struct", "-XMP:all", str(path)], capture_output=True, text=True, check=True
    )
    read: dict[str, object] = json.loads(ran.stdout)[0]
    return read


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, Index]]:
    folder = tmp_path_factory.mktemp("sidecars")
    collection = generate_collection(folder / "photos", 60, seed=101)
    index = Index.open(folder / "index", model="demo-shapes")
    index.update([collection.root])
    yield collection, index
    index.close()


def digests(collection: Collection) -> dict[Path, str]:
    return {i.path: hashlib.sha256(i.path.read_bytes()).hexdigest() for i in collection.images}


def test_sidecars_hold_captions_and_tags_and_merge(tagged: tuple[Collection, Index]) -> None:
    collection, index = tagged
    before = digests(collection)
    first, second, third = (index.find(i.path) for i in collection.images[:3])
    index.annotate(first.id, caption="Two shapes on a gradient", tags=["keeper", "Orte/Paris"])
    index.annotate(second.id, caption=None, tags=["keeper"])
    existing = Path(third.path + ".xmp")
    existing.write_bytes(DARKTABLE)
    index.annotate(third.id, caption="A picture", tags=["keeper"])

    report = index.write_sidecars(auto_min_confidence=0.9)
    assert report.failed == [] and report.written == 60  # every picture has confident tags
    read = exiftool(Path(first.path + ".xmp"))
    subjects = read["Subject"] if isinstance(read["Subject"], list) else [read["Subject"]]
    automatic = {t for t, c in index.auto_tags([first.id])[first.id].items() if c >= 0.9}
    assert subjects[:2] == ["keeper", "Orte/Paris"] and set(subjects[2:]) == automatic
    assert read["Description"] == "Two shapes on a gradient"

    merged = exiftool(existing)  # darktable's own sidecar: kept, ours added
    assert merged["Rating"] == 4 and merged["History"]
    assert merged["Subject"][:2] == ["holiday", "keeper"]  # type: ignore[index]
    assert merged["Description-de-DE"] == "Urlaub" and merged["Description"] == "A picture"

    again = index.write_sidecars(auto_min_confidence=0.9)
    assert again.written == 0 and again.unchanged == 60
    lightroom = index.write_sidecars(naming="lightroom", dry_run=True)
    assert lightroom.written == 3 and lightroom.nothing == 57
    assert not Path(first.path).with_suffix(".xmp").exists()  # a dry run writes nothing
    assert digests(collection) == before  # the pictures themselves never change


def test_hostile_sidecars_and_links_are_refused_each_alone(
    tagged: tuple[Collection, Index], tmp_path: Path
) -> None:
    collection, index = tagged
    for packet in (BILLION_LAUGHS, EXTERNAL, b"<not-xmp/>", b"<broken"):
        with pytest.raises(xmp.XmpRefused):
            xmp.parse(packet)
    hostile, linked, fine = (index.find(i.path) for i in collection.images[10:13])
    for record in (hostile, linked, fine):
        index.annotate(record.id, caption=None, tags=["checked"])
    Path(hostile.path + ".xmp").write_bytes(BILLION_LAUGHS)
    outside = tmp_path / "elsewhere.xmp"
    outside.write_bytes(DARKTABLE)
    Path(linked.path + ".xmp").unlink(missing_ok=True)
    Path(linked.path + ".xmp").symlink_to(outside)
    report = index.write_sidecars()
    failed = dict(report.failed)
    assert set(failed) == {hostile.path + ".xmp", linked.path + ".xmp"}
    assert "entities" in failed[hostile.path + ".xmp"]
    assert "symbolic link" in failed[linked.path + ".xmp"]
    assert (
        outside.read_bytes() == DARKTABLE
        and Path(hostile.path + ".xmp").read_bytes() == BILLION_LAUGHS
    )
    assert "checked" in xmp.facts(xmp.parse(Path(fine.path + ".xmp").read_bytes())).keywords
    # the command line says the same, and fails the run
    ran = imgsearch("tags", "write-sidecars", "--index", index.location)
    assert ran.returncode == 1 and "symbolic link" in ran.stderr and "2 failed" in ran.stdout
