"""Reading videos: facts from the header, the frames worth embedding, and bad videos as
typed errors — on videos the tests encode with PyAV (imgsearch.demo.videos)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("av")

import itertools

from imgsearch.demo.shapes import COLOURS
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from imgsearch.errors import (
    CorruptVideo,
    EmptyVideo,
    ImageNotFound,
    UnsupportedVideo,
    VideoError,
    VideoLimitExceeded,
)
from imgsearch.media.video import (
    FramePolicy,
    KeptFrame,
    Selection,
    VideoLimits,
    probe,
    select_frames,
)

STAR = Appearance("star", "red", 3.0, 6.0, begin=(0.25, 0.4), finish=(0.6, 0.4), diameter=0.2)
CIRCLE = Appearance("circle", "blue", 8.0, 10.5, begin=(0.7, 0.7), finish=(0.7, 0.7))
SPEC = VideoSpec(12.0, (STAR, CIRCLE))


def _colour_at(frame: KeptFrame, x: float, y: float) -> tuple[int, ...]:
    pixels = np.asarray(frame.image)
    row, column = round(y * (pixels.shape[0] - 1)), round(x * (pixels.shape[1] - 1))
    return tuple(int(v) for v in pixels[row, column])


def _near(colour: tuple[int, ...], name: str) -> bool:
    return sum(abs(a - b) for a, b in zip(colour, COLOURS[name], strict=True)) < 90


@pytest.mark.parametrize(
    ("suffix", "codec", "container"),
    [(".mp4", "h264", "mp4"), (".mov", "h264", "mov"), (".mkv", "h264", "matroska"),
     (".webm", "vp9", "webm"), (".avi", "mpeg4", "avi")],
)  # fmt: skip
def test_every_appearance_is_caught_in_every_container(
    tmp_path: Path, suffix: str, codec: str, container: str
) -> None:
    path = tmp_path / f"shapes{suffix}"
    write_video(path, SPEC)
    info = probe(path)
    assert (info.width, info.height, info.codec, info.rotation) == (320, 240, codec, 0)
    assert info.duration == pytest.approx(12.0, abs=0.2) and info.fps == pytest.approx(10)
    assert container in info.container
    selection = Selection()
    frames = list(select_frames(path, selection=selection))
    assert frames[0].reason == "first" and frames[0].time == 0
    times = [f.time for f in frames]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(f.number == round(f.time * 10) for f in frames)  # 10 fps, constant
    # A frame inside each appearance shows that shape where the track puts it: the moving
    # star about once a second (AVI's keyframes, every 1.2 s, are read alone), the still
    # circle once (the rest are near duplicates).
    for appearance, least in ((STAR, 2), (CIRCLE, 1)):
        inside = [f for f in frames if appearance.start <= f.time < appearance.end]
        assert len(inside) >= least, (appearance.name, times)
        for frame in inside:
            thing = appearance.at(frame.time)
            assert thing is not None
            assert _near(_colour_at(frame, thing.cx, thing.cy), appearance.colour), frame
    # Nothing changes from 6 to 8 s: at most the first frame after the star left is kept.
    assert len([t for t in times if 6.0 <= t < 8.0]) <= 1
    assert selection.kept == len(frames) < selection.decoded <= 120
    assert selection.duplicates >= 1


def test_a_static_video_costs_one_frame_and_a_long_one_is_capped(tmp_path: Path) -> None:
    still = tmp_path / "still.mp4"
    write_video(still, VideoSpec(20.0, fps=5))
    selection = Selection()
    assert [f.reason for f in select_frames(still, selection=selection)] == ["first"]
    assert selection.duplicates >= 15
    busy = tmp_path / "busy.mp4"
    moving = Appearance("square", "green", 0.0, 10.0, begin=(0.1, 0.5), finish=(0.9, 0.5))
    write_video(busy, VideoSpec(10.0, (moving,)))
    capped = Selection()
    kept = list(select_frames(busy, limits=VideoLimits(max_frames=3), selection=capped))
    assert len(kept) == 3 and capped.capped
    every_half = list(select_frames(busy, FramePolicy(rate=2.0, keyframes=False)))
    assert len(every_half) >= 18  # twice a second, the square always moving


def test_rotated_frames_come_out_upright(tmp_path: Path) -> None:
    path = tmp_path / "phone.mp4"
    square = Appearance("square", "green", 0.0, 4.0, begin=(0.2, 0.3), finish=(0.2, 0.3))
    write_video(path, VideoSpec(4.0, (square,), rotation=90))
    info = probe(path)
    assert (info.rotation, info.width, info.height) == (90, 320, 240)
    first = next(iter(select_frames(path)))
    assert first.image.size == (320, 240)
    assert _near(_colour_at(first, 0.2, 0.3), "green")
    assert not _near(_colour_at(first, 0.8, 0.7), "green")


def test_variable_frame_rate_keeps_the_real_timestamps(tmp_path: Path) -> None:
    spec = VideoSpec(6.0, (STAR,), variable_rate=True, seed=3)
    path = tmp_path / "vfr.mp4"
    write_video(path, spec)
    written = spec.frame_times()
    assert len({round(b - a, 3) for a, b in itertools.pairwise(written)}) > 1
    for frame in select_frames(path):
        assert any(abs(frame.time - t) < 0.002 for t in written), frame.time


def test_bad_videos_are_typed_errors_naming_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    write_video(good, SPEC)
    data = good.read_bytes()
    cut_mkv = tmp_path / "cut.mkv"
    write_video(cut_mkv, SPEC)
    cut_mkv.write_bytes(cut_mkv.read_bytes()[: len(cut_mkv.read_bytes()) // 3])
    cases: dict[str, tuple[bytes | None, type[VideoError]]] = {
        "empty.mp4": (b"", EmptyVideo),
        "text.mp4": (b"this is not a video at all, only words\n" * 20, UnsupportedVideo),
        "headless.mp4": (data[: len(data) // 2], CorruptVideo),  # mp4 index is at the end
        "cut.mkv": (None, CorruptVideo),
    }
    for name, (content, error) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(error) as raised:
            list(select_frames(path))
        assert raised.value.source == str(path) and "Traceback" not in str(raised.value)
    with pytest.raises(ImageNotFound):
        probe(tmp_path / "missing.mp4")
    image = tmp_path / "still.png"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(image)
    with pytest.raises(UnsupportedVideo):
        probe(image)  # FFmpeg opens a PNG, but finds no video stream worth the name
    with pytest.raises(VideoLimitExceeded, match="pixels"):
        probe(good, VideoLimits(max_frame_pixels=320 * 239))
    with pytest.raises(VideoLimitExceeded, match="cap of 5 s"):
        list(select_frames(good, limits=VideoLimits(max_duration=5)))


def test_a_policy_must_make_sense() -> None:
    for wrong in ({"rate": 0}, {"duplicate_below": 0.6}, {"max_side": 8}):
        with pytest.raises(ValueError):
            FramePolicy(**wrong)  # type: ignore[arg-type]


def test_dense_keyframes_are_all_that_is_decoded(tmp_path: Path) -> None:
    """A phone-like file (a keyframe every second) is read by its keyframes alone, and
    still shows every moment; a sparse one (the encoder's default) is decoded in full."""
    phone = tmp_path / "phone.mp4"
    write_video(phone, replace(SPEC, gop=10))
    selection = Selection()
    frames = list(select_frames(phone, selection=selection))
    assert selection.keyframes_only and selection.decoded <= 14  # 12 s, ~1 keyframe a second
    for appearance in (STAR, CIRCLE):
        assert any(appearance.start <= f.time < appearance.end for f in frames)
    sparse = tmp_path / "sparse.mp4"
    write_video(sparse, SPEC)
    full = Selection()
    list(select_frames(sparse, selection=full))
    assert not full.keyframes_only and full.decoded > 60
