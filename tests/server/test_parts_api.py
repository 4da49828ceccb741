"""Videos over HTTP: segments in /v1/search, a frame at a moment as a JPEG (the matching
moment shows the object), the file itself in byte ranges so players can seek."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("av")

from imgsearch import Index
from imgsearch.demo.shapes import COLOURS
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from imgsearch.server import ServerSettings, create_app
from tests.conftest import photo

STAR = Appearance("star", "red", 3.0, 6.0, begin=(0.3, 0.4), finish=(0.6, 0.4), diameter=0.3)
SPEC = VideoSpec(10.0, (STAR,), rotation=90)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    folder = tmp_path_factory.mktemp("videos-api")
    root = folder / "media"
    root.mkdir()
    write_video(root / "star.mp4", SPEC)
    photo(64, 48).save(root / "photo.jpg")
    with Index.open(folder / "index", model="fake-hash") as index:
        index.update([root])
    settings = ServerSettings(index=folder / "index", roots=[root], thumbnails=folder / "thumbs")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client, root


def _red_share(jpeg: bytes) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.int32)
    return float((np.abs(pixels - COLOURS["red"]).sum(axis=-1) < 90).mean())


def test_a_video_hit_carries_its_segment_and_links_to_its_frames(
    served: tuple[TestClient, Path],
) -> None:
    client, _root = served
    found = client.post("/v1/search", json={"text": "red star", "filters": {"media": "video"}})
    assert found.status_code == 200
    hits = found.json()["hits"]
    assert hits and all(h["media"] == "video" and h["duration"] == 10.0 for h in hits)
    segment = hits[0]["segment"]
    assert 0 <= segment["start"] <= segment["best"] < segment["end"] <= 10.0
    assert segment["moments"] and all(
        segment["start"] <= m["time"] < segment["end"] for m in segment["moments"]
    )
    assert hits[0]["region"]["source"] == "frame" and hits[0]["region"]["thumbnail"]
    frame = client.get(segment["frame"])
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (256, 192)  # upright: turned back
    again = client.get(segment["frame"], headers={"If-None-Match": frame.headers["etag"]})
    assert again.status_code == 304
    images = client.post("/v1/search", json={"text": "red star", "filters": {"media": "image"}})
    assert [h["media"] for h in images.json()["hits"]] == ["image"]
    assert images.json()["hits"][0]["segment"] is None


def test_the_frame_at_a_moment_shows_what_is_on_screen_then(
    served: tuple[TestClient, Path],
) -> None:
    client, _root = served
    [video] = [
        h for h in client.post("/v1/search", json={"text": "x", "top": 5}).json()["hits"]
        if h["media"] == "video"
    ][:1]  # fmt: skip
    vid = video["id"]
    record = client.get(f"/v1/images/{vid}").json()
    assert record["media"] == "video" and record["codec"] == "h264" and record["fps"] == 10.0
    assert (record["width"], record["height"]) == (320, 240)
    assert all(r["source"] == "frame" and r["box"] is None for r in record["regions"])
    during = client.get(f"/v1/videos/{vid}/frame", params={"t": 4.5, "size": 512})
    before = client.get(f"/v1/videos/{vid}/frame", params={"t": 1.0})
    assert _red_share(during.content) > 0.01 > _red_share(before.content)
    past_the_end = client.get(f"/v1/videos/{vid}/frame", params={"t": 999})
    assert past_the_end.status_code == 200
    thumbnail = client.get(f"/v1/images/{vid}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    not_a_video = client.post("/v1/search", json={"text": "x", "filters": {"media": "image"}})
    photo_id = not_a_video.json()["hits"][0]["id"]
    missing = client.get(f"/v1/videos/{photo_id}/frame")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    for bad in ({"t": -1}, {"t": "soon"}, {"t": 10**9}):
        assert client.get(f"/v1/videos/{vid}/frame", params=bad).status_code == 422


def test_the_video_file_is_served_in_byte_ranges(served: tuple[TestClient, Path]) -> None:
    client, root = served
    data = (root / "star.mp4").read_bytes()
    hits = client.post("/v1/search", json={"text": "x", "filters": {"media": "video"}}).json()
    link = hits["hits"][0]["links"]["file"]
    whole = client.get(link)
    assert whole.status_code == 200 and whole.content == data
    assert (
        whole.headers["content-type"] == "video/mp4" and whole.headers["accept-ranges"] == "bytes"
    )
    part = client.get(link, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    tail = client.get(link, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == data[-500:]
    open_ended = client.get(link, headers={"Range": f"bytes={len(data) - 10}-"})
    assert open_ended.content == data[-10:]
    beyond = client.get(link, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert beyond.json()["error"]["code"] == "RangeNotSatisfiable"
    several = client.get(link, headers={"Range": "bytes=0-1,5-6"})  # not read: the whole file
    assert several.status_code == 200 and several.content == data


def test_a_box_on_a_whole_video_asks_for_one_of_its_frames(
    served: tuple[TestClient, Path],
) -> None:
    client, _root = served
    video = next(
        h for h in client.post("/v1/search", json={"text": "x", "top": 5}).json()["hits"]
        if h["media"] == "video"
    )  # fmt: skip
    box = {"x": 0.2, "y": 0.2, "w": 0.5, "h": 0.5, "unit": "fraction"}
    answer = client.post("/v1/search", json={"parts": [{"image_id": video["id"], "box": box}]})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidBox"
    assert "is a video" in answer.json()["error"]["message"]
