"""What archives say of a picture, through index runs: keywords, titles and ratings that
exiftool wrote into the files (XMP, IPTC) or into an XMP sidecar become searchable and
filterable; a sidecar edited later makes the next run read the picture again; a hostile
packet costs only its own facts — on the embedded store, PostgreSQL and Citus."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image

import tests.fakes  # noqa: F401 - registers the fake-hash encoder
from imgsearch import Index
from imgsearch.store import Filters
from tests.media.test_archive import exiftool
from tests.tags.test_sidecars import BILLION_LAUGHS, DARKTABLE

XMP_MARKER = b"http://ns.adobe.com/xap/1.0/\x00"


def with_xmp(jpeg: bytes, packet: bytes) -> bytes:
    """``jpeg`` with an APP1 XMP segment holding ``packet`` right after its SOI."""
    body = XMP_MARKER + packet
    return jpeg[:2] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + jpeg[2:]


@pytest.fixture(params=["sqlite", "postgres", "citus"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "index")
    server = (
        request.getfixturevalue("citus_cluster").url
        if request.param == "citus"
        else request.getfixturevalue("postgres_url")
    )
    return f"{server}{'&' if '?' in server else '?'}collection=archive{time.time_ns()}"


def test_archive_metadata_is_searched_filtered_and_followed(location: str, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    tower, hostile, plain = photos / "tower.jpg", photos / "hostile.jpg", photos / "plain.jpg"
    for n, path in enumerate((tower, hostile, plain)):
        Image.new("RGB", (64, 48), (40 * n, 90, 200)).save(path)
    exiftool(
        "-codedcharacterset=utf8", "-XMP-dc:Subject=Eiffel Tower", "-XMP-dc:Title=Paris at dusk",
        "-XMP-lr:HierarchicalSubject=Places|Europe|Paris", "-XMP:Rating=5",
        "-IPTC:Keywords=travel", str(tower),
    )  # fmt: skip
    hostile.write_bytes(with_xmp(hostile.read_bytes(), BILLION_LAUGHS))

    with Index.open(location, model="fake-hash") as index:
        report = index.update([photos])
        assert report.counts["added"] == 3 and report.counts["failed"] == 0
        found = index.find(tower).archive
        assert found is not None and found.title == "Paris at dusk" and found.rating == 5
        assert found.keywords == ("Eiffel Tower", "Places/Europe/Paris", "Paris", "travel")
        assert index.find(plain).archive is None
        problem = index.find(hostile).archive
        assert problem is not None and "entities" in problem.problems[0]  # indexed all the same

        counted = dict(index.facets().keywords)
        assert counted == {"Eiffel Tower": 1, "Places/Europe/Paris": 1, "Paris": 1, "travel": 1}
        assert dict(index.facets(filters=Filters(not_tags=("travel",))).keywords) == {}
        tagged = index.browse(filters=Filters(tags=("Eiffel Tower",)))
        assert [r.path for r in tagged.items] == [str(tower)]
        assert index.browse(filters=Filters(not_tags=("travel",))).total == 2
        hits = index.search("dusk", top=3)  # the title's word: the metadata score finds it
        scored = {hit.image.path: hit.metadata_score for hit in hits}
        assert scored[str(tower)] > 0 and scored[str(plain)] == scored[str(hostile)] == 0
        assert next(h for h in hits if h.image.path == str(tower)).words_in == ("archive",)

        # a sidecar written later (darktable's naming): the next run reads the picture again
        unchanged = index.update([photos])
        assert unchanged.counts["unchanged"] == 3
        sidecar = photos / "plain.jpg.xmp"
        sidecar.write_bytes(DARKTABLE)
        index.update([photos])
        kept = index.find(plain).archive
        assert kept is not None and kept.keywords == ("holiday",) and kept.rating == 4
        rated = {r.path for r in index.browse(filters=Filters(min_rating=4)).items}
        assert rated == {str(tower), str(plain)}
        assert [r.path for r in index.browse(filters=Filters(min_rating=5)).items] == [str(tower)]
        assert [r.path for r in index.browse(filters=Filters(tags=("holiday",))).items] == [
            str(plain)
        ]
        # edited again: "holiday" gives way
        sidecar.write_bytes(DARKTABLE.replace(b"holiday", b"mountains"))
        os.utime(sidecar, ns=(time.time_ns(), time.time_ns() + 10**9))
        index.update([photos])
        assert index.browse(filters=Filters(tags=("holiday",))).total == 0
        assert index.browse(filters=Filters(tags=("mountains",))).total == 1


def test_archive_facts_over_http_and_the_command_line(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from imgsearch.server import ServerSettings, create_app
    from tests.cli.test_cli import imgsearch

    photos = tmp_path / "photos"
    photos.mkdir()
    tower = photos / "tower.jpg"
    Image.new("RGB", (64, 48), (10, 90, 200)).save(tower)
    exiftool("-XMP-dc:Title=Paris at dusk", "-XMP-dc:Subject=Eiffel Tower", "-XMP:Rating=5",
             str(tower))  # fmt: skip
    index = tmp_path / "index"
    made = imgsearch("index", str(photos), "--index", str(index), "-m", "fake-hash")
    assert made.returncode == 0, made.stderr
    rated = imgsearch("browse", "--index", str(index), "--min-rating", "5", "--paths")
    assert rated.stdout.split() == [str(tower)], rated.stderr
    none = imgsearch("browse", "--index", str(index), "--min-rating", "6")
    assert none.returncode != 0
    listed = imgsearch("tags", "list", "--index", str(index), "--json")
    assert '"keywords": [{"tag": "Eiffel Tower", "count": 1}]' in listed.stdout, listed.stderr
    found = imgsearch("search", "dusk", "--index", str(index), "--json")
    assert found.returncode == 0, found.stderr
    assert '"title": "Paris at dusk"' in found.stdout and '"rating": 5' in found.stdout
    settings = ServerSettings(index=index, roots=[photos])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        answer = client.post("/v1/browse", json={"filters": {"tags": ["Eiffel Tower"]}})
        assert answer.status_code == 200, answer.text
        listed = answer.json()
        assert [item["path"] for item in listed["items"]] == [str(tower)]
        counts = client.get("/v1/tags").json()["keywords"]
        assert counts == [{"tag": "Eiffel Tower", "count": 1}]
        rated = client.post("/v1/browse", json={"filters": {"min_rating": 5}}).json()
        assert rated["total"] == 1
        assert client.post("/v1/browse", json={"filters": {"min_rating": 9}}).status_code == 422
        one = client.get(f"/v1/images/{listed['items'][0]['id']}").json()
        assert one["archive"] == {
            "title": "Paris at dusk", "keywords": ["Eiffel Tower"], "rating": 5,
        }  # fmt: skip
