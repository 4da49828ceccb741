"""Indexed files that were replaced in place by something hostile, with the same size and
modification time, so that the server still takes them for what it indexed: the frame and
thumbnail routes answer a clear 4xx, at once, in bounded memory, whatever FFmpeg would
otherwise have done with them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("av")

from imgsearch import Index
from imgsearch.demo.videos import VideoSpec, write_video
from imgsearch.server import ServerSettings, create_app
from tests.media.hostile_videos import lying_mjpeg, sdp_in_disguise


def _swap_in(path: Path, replacement: bytes) -> None:
    """Write ``replacement`` over ``path`` keeping its size (padded with zeros) and times."""
    stat = path.stat()
    assert len(replacement) <= stat.st_size
    path.write_bytes(replacement + b"\0" * (stat.st_size - len(replacement)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.slow
def test_a_video_replaced_in_place_is_refused_not_decoded(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    video = root / "clip.mp4"
    write_video(video, VideoSpec(4.0, ()))
    lie = lying_mjpeg(tmp_path / "lie.avi").read_bytes()
    sdp = sdp_in_disguise(tmp_path / "x.sdp").read_bytes()
    video.write_bytes(video.read_bytes() + b"\0" * len(lie))  # room for either (MP4 ignores it)
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        report = index.update([root])
        assert report.counts["added"] == 1, report.failures
        video_id = index.find(video).id
    settings = ServerSettings(index=tmp_path / "index", roots=[root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert client.get(f"/v1/videos/{video_id}/frame", params={"t": 1}).status_code == 200
        _swap_in(video, lie)
        answer = client.get(f"/v1/videos/{video_id}/frame", params={"t": 0.5, "size": 512})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "VideoLimitExceeded"
        _swap_in(video, sdp)
        answer = client.get(f"/v1/videos/{video_id}/frame", params={"t": 0.2, "size": 512})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "UnsupportedVideo"
