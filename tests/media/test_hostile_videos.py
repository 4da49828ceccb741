"""Videos made to hurt their reader: frames far larger than the header says, and text that
FFmpeg would take for instructions to open network sockets. Every reader — probing,
frame selection for the index, the frame of a moment for the server — refuses them with a
typed error, at once, in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("av")

from imgsearch.errors import UnsupportedVideo, VideoLimitExceeded
from imgsearch.media.video import VideoLimits, probe, select_frames
from imgsearch.media.video_seek import frame_at
from tests.media.hostile_videos import lying_mjpeg, sdp_in_disguise

READ_ALL = """
import json, sys
from imgsearch.media.video import select_frames
from imgsearch.media.video_seek import frame_at
outcomes = []
try:
    list(select_frames(sys.argv[1]))
    outcomes.append("indexed")
except Exception as exc:
    outcomes.append(type(exc).__name__)
try:
    with open(sys.argv[1], "rb") as stream:
        frame_at(stream, 0.5, name=sys.argv[1], max_side=256)
    outcomes.append("served")
except Exception as exc:
    outcomes.append(type(exc).__name__)
# VmHWM, not ru_maxrss: that one counts the parent's pages from before exec
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps([outcomes, peak // 1024]))
"""


@pytest.mark.slow
def test_frames_larger_than_the_header_says_are_refused_before_they_are_decoded(
    tmp_path: Path,
) -> None:
    # Before: indexed (each 12000x12000 frame decoded), and one frame served took 10 s and
    # 3.7 GB (16000x16000 frames: 1.7 GB to index, 4.9 GB to serve).
    video = lying_mjpeg(tmp_path / "lie.avi")
    assert probe(video).width == 64  # the header's word: nothing to catch yet
    run = subprocess.run(
        [sys.executable, "-c", READ_ALL, str(video)], capture_output=True, text=True, check=True
    )
    outcomes, peak_mb = json.loads(run.stdout)
    assert outcomes == ["VideoLimitExceeded", "VideoLimitExceeded"]
    assert peak_mb < 400, f"peak RSS {peak_mb} MB"
    with pytest.raises(VideoLimitExceeded, match="cap of 35,389,440 pixels"):
        list(select_frames(video))


def test_a_lower_cap_is_applied_to_every_frame(tmp_path: Path) -> None:
    video = lying_mjpeg(tmp_path / "lie.avi", side=300)
    assert len(list(select_frames(video, limits=VideoLimits(max_frame_pixels=400 * 400)))) >= 1
    with pytest.raises(VideoLimitExceeded):
        list(select_frames(video, limits=VideoLimits(max_frame_pixels=200 * 200)))
    with video.open("rb") as stream, pytest.raises(VideoLimitExceeded):
        frame_at(stream, 0.5, name=str(video), max_pixels=200 * 200)


def test_a_session_description_named_like_a_video_is_not_a_video(tmp_path: Path) -> None:
    # Before: served from an open file, FFmpeg took the SDP text for a stream to receive,
    # bound a UDP socket on 0.0.0.0, waited 30 s and failed with a PermissionError (a 500).
    sdp = sdp_in_disguise(tmp_path / "holiday.mp4")
    with pytest.raises(UnsupportedVideo, match="not a video FFmpeg may read"):
        probe(sdp)
    with sdp.open("rb") as stream, pytest.raises(UnsupportedVideo):
        frame_at(stream, 0.0, name=str(sdp))


def test_playlists_and_lists_of_other_files_are_not_videos(tmp_path: Path) -> None:
    """An HLS playlist or a concat list would make FFmpeg read other files (any file the
    server may read, shown as frames); neither is a container a video file may have."""
    (tmp_path / "secret.txt").write_text("not for you\n")
    hls = tmp_path / "list.mp4"
    hls.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{tmp_path / 'secret.txt'}\n")
    concat = tmp_path / "concat.mkv"
    concat.write_text(f"ffconcat version 1.0\nfile '{tmp_path / 'secret.txt'}'\n")
    for path in (hls, concat):
        with pytest.raises(UnsupportedVideo):
            probe(path)
        with path.open("rb") as stream, pytest.raises(UnsupportedVideo):
            frame_at(stream, 0.0, name=str(path))
