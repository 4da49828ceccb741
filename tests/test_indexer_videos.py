"""Videos in the index: picked up by content next to images, stored whole with their kept
frames, kept in step incrementally, bad ones recorded with reasons — on videos the tests
encode with PyAV (imgsearch.demo.videos)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("av")

from imgsearch import Index
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from imgsearch.kinds import VideoOptions
from imgsearch.media.video import VideoLimits
from imgsearch.query.expression import Query, QueryPart
from imgsearch.store import Filters, RegionRecord
from tests.cli.test_cli import imgsearch
from tests.conftest import photo

STAR = Appearance("star", "red", 3.0, 6.0, begin=(0.25, 0.4), finish=(0.6, 0.4), diameter=0.25)
CIRCLE = Appearance("circle", "blue", 8.0, 10.5, begin=(0.7, 0.6), finish=(0.7, 0.6))
SPEC = VideoSpec(12.0, (STAR, CIRCLE))


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    opened = Index.open(tmp_path / "index", model="fake-hash")
    yield opened
    opened.close()


def frames_of(index: Index, path: Path) -> list[RegionRecord]:
    return [r for r in index.regions(path) if r.region.source == "frame"]


def test_videos_are_indexed_by_content_next_to_images(tmp_path: Path, index: Index) -> None:
    root = tmp_path / "media"
    root.mkdir()
    for suffix in (".mp4", ".mov", ".mkv", ".webm", ".avi"):
        write_video(root / f"shapes{suffix}", SPEC)
    write_video(root / "phone.mp4", VideoSpec(4.0, (STAR,), rotation=90))
    write_video(root / "irregular.mp4", VideoSpec(6.0, (STAR,), variable_rate=True, seed=3))
    write_video(tmp_path / "clip.mp4", VideoSpec(3.0, (CIRCLE,)))
    shutil.copy(tmp_path / "clip.mp4", root / "clip.jpg")  # a video whatever its name says
    photo(64, 48).save(root / "still.mp4", "PNG")  # an image whatever its name says
    photo(64, 48, seed=2).save(root / "photo.jpg")
    report = index.update([root])
    assert report.counts["added"] == 10 and report.counts["failed"] == 0, report.failures

    formats = {Path(r.path).name: r.format for r in map(index.find, sorted(root.iterdir()))}
    assert formats == {
        "shapes.mp4": "MP4", "shapes.mov": "MOV", "shapes.mkv": "MKV", "shapes.webm": "WEBM",
        "shapes.avi": "AVI", "phone.mp4": "MP4", "irregular.mp4": "MP4", "clip.jpg": "MP4",
        "still.mp4": "PNG", "photo.jpg": "JPEG",
    }  # fmt: skip
    mkv = index.find(root / "shapes.mkv")
    assert mkv.is_video and mkv.duration == pytest.approx(12.0, abs=0.2)
    assert (mkv.width, mkv.height, mkv.fps, mkv.codec) == (320, 240, 10.0, "h264")
    assert index.find(root / "shapes.webm").codec == "vp9"
    assert not index.find(root / "still.mp4").is_video
    phone = index.find(root / "phone.mp4")
    assert (phone.width, phone.height) == (320, 240)  # stored turned, displayed upright
    for name in ("shapes.mp4", "shapes.webm", "shapes.avi", "irregular.mp4"):
        frames = frames_of(index, root / name)
        times = [f.region.time for f in frames]
        assert times[0] == 0 and times == sorted(times), (name, times)
        assert all(f.region.box is None and f.region.frame is not None for f in frames)
        # every appearance has a kept frame inside it
        for appearance in (STAR, CIRCLE) if name.startswith("shapes") else (STAR,):
            assert any(appearance.start <= t < appearance.end for t in times), (name, times)
    assert frames_of(index, root / "photo.jpg") == []
    # the video's own vector is the normalised mean of its frames'
    frames = frames_of(index, root / "shapes.mp4")
    mean = index.store.regions.vectors([f.id for f in frames]).mean(axis=0)
    whole = index.store.vectors([index.find(root / "shapes.mp4").id])[0]
    assert float(whole @ (mean / (mean**2).sum() ** 0.5)) == pytest.approx(1.0, abs=1e-5)

    videos = index.search("red star", filters=Filters(media="video"), top=50)
    assert {Path(h.image.path).name for h in videos} == {
        "shapes.mp4", "shapes.mov", "shapes.mkv", "shapes.webm", "shapes.avi", "phone.mp4",
        "irregular.mp4", "clip.jpg",
    }  # fmt: skip
    assert all(h.segment is not None and h.region is not None for h in videos)
    images = index.search("red star", filters=Filters(media="image"), top=50)
    assert {Path(h.image.path).name for h in images} == {"still.mp4", "photo.jpg"}
    assert all(h.segment is None for h in images)
    # grid windows are for pictures: videos are passed over (and not retried)
    grid = index.add_grid_regions([root], levels=(2,))
    assert grid.images == 10 and grid.problems == [] and frames_of(index, root / "photo.jpg") == []
    assert all(r.region.source == "frame" for r in index.regions(root / "shapes.mp4"))
    # object hits are boxes: a video's frames are not among them unless asked for
    objects = index.search(Query((QueryPart(text="red star"),), objects=True, top=100))
    assert objects and {h.region.region.source for h in objects if h.region} == {"grid"}
    frames = index.search(
        Query((QueryPart(text="red star"),), objects=True, sources=("frame",), top=5)
    )
    assert len(frames) == 5 and all(h.image.is_video for h in frames)


def test_bad_videos_are_recorded_with_their_reasons_and_the_run_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    write_video(root / "good.mp4", SPEC)
    data = (root / "good.mp4").read_bytes()
    (root / "empty.mp4").write_bytes(b"")
    (root / "words.mov").write_text("this is not a video at all, only words\n" * 20)
    (root / "headless.mp4").write_bytes(data[: len(data) // 2])
    write_video(root / "cut.mkv", SPEC)
    (root / "cut.mkv").write_bytes((root / "cut.mkv").read_bytes()[: len(data) // 3])
    write_video(root / "long.webm", VideoSpec(20.0, fps=2))
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        report = index.update([root], video=VideoOptions(limits=VideoLimits(max_duration=15)))
        assert report.counts["added"] == 1 and report.counts["failed"] == 5
        assert index.find(root / "good.mp4").is_video
        codes = {Path(f.path).name: f.code for f in index.failures()}
        assert codes == {
            "empty.mp4": "EmptyVideo",
            "words.mov": "UnsupportedVideo",
            "headless.mp4": "CorruptVideo",
            "cut.mkv": "CorruptVideo",
            "long.webm": "VideoLimitExceeded",
        }
        assert index.status().regions == len(frames_of(index, root / "good.mp4"))
        assert index.status().videos == 1
    status = imgsearch("status", "--errors", "--index", str(tmp_path / "index"))
    assert status.returncode == 0
    assert "long.webm" in status.stdout and "over the cap of 15 s" in status.stdout
    assert "truncated" in status.stdout or "damaged" in status.stdout


def test_videos_follow_the_disk_incrementally(tmp_path: Path, index: Index) -> None:
    root = tmp_path / "media"
    (root / "a").mkdir(parents=True)
    write_video(root / "a" / "one.mp4", SPEC)
    write_video(root / "a" / "two.webm", VideoSpec(6.0, (CIRCLE,), seed=1))
    write_video(root / "a" / "three.mkv", VideoSpec(5.0, (STAR,)))
    index.update([root])
    one, two = index.find(root / "a" / "one.mp4"), index.find(root / "a" / "two.webm")
    frames_one, frames_two = (
        frames_of(index, root / "a" / "one.mp4"),
        frames_of(index, root / "a" / "two.webm"),
    )

    again = index.update([root])
    assert again.counts["unchanged"] == 3 and again.embedded == 0
    # moved: same id, same frames, nothing embedded
    (root / "b").mkdir()
    (root / "a" / "two.webm").rename(root / "b" / "two.webm")
    # touched: same bytes, newer time
    stat = (root / "a" / "three.mkv").stat()
    os.utime(root / "a" / "three.mkv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    # re-encoded: other content at the same path
    write_video(root / "a" / "one.mp4", VideoSpec(7.0, (CIRCLE,), seed=4))
    report = index.update([root])
    assert (report.counts["moved"], report.counts["touched"], report.counts["updated"]) == (1, 1, 1)
    moved = index.find(root / "b" / "two.webm")
    assert moved.id == two.id and frames_of(index, root / "b" / "two.webm") == frames_two
    redone = index.find(root / "a" / "one.mp4")
    assert redone.id == one.id and redone.duration == pytest.approx(7.0, abs=0.2)
    new_frames = frames_of(index, root / "a" / "one.mp4")
    assert not {f.id for f in new_frames} & {f.id for f in frames_one}
    assert report.embedded == len(new_frames)
    # removed: the row and its frames go
    (root / "b" / "two.webm").unlink()
    gone = index.update([root])
    assert gone.counts["removed"] == 1 and index.store.regions.of([two.id]) == []
    assert index.status().regions == sum(
        len(frames_of(index, p)) for p in (root / "a" / "one.mp4", root / "a" / "three.mkv")
    )


def test_a_video_and_its_segments_through_the_cli(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    write_video(root / "shapes.mp4", SPEC)
    photo(64, 48).save(root / "photo.jpg")
    index = str(tmp_path / "index")
    done = imgsearch("index", str(root), "--index", index, "-m", "fake-hash", "--video-rate", "2")
    assert done.returncode == 0, done.stderr
    listed = imgsearch("search", "red star", "--index", index, "--media", "video", "--json")
    hits = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    # one video, one hit per segment: disjoint, best first
    spans = sorted((h["segment"]["start"], h["segment"]["end"]) for h in hits)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert [h["cosine"] for h in hits] == sorted((h["cosine"] for h in hits), reverse=True)
    hit = hits[0]
    assert hit["media"] == "video" and hit["codec"] == "h264" and hit["duration"] == 12.0
    segment = hit["segment"]
    assert 0 <= segment["start"] <= segment["best"] < segment["end"] <= 12.0
    assert segment["cosine"] == pytest.approx(hit["cosine"], abs=1e-5)
    assert hit["region"]["source"] == "frame" and hit["region"]["time"] == segment["best"]
    table = imgsearch("search", "red star", "--index", index, "--media", "video")
    assert f"shapes.mp4 @ 00:00:{int(segment['start']):02d}" in table.stdout
    only_images = imgsearch("search", "red star", "--index", index, "--media", "image", "--paths")
    assert only_images.stdout.strip().endswith("photo.jpg")
    wrong = imgsearch("search", "red star", "--index", index, "--media", "films")
    assert wrong.returncode == 2 and "--media" in wrong.stderr


@pytest.mark.slow
def test_videos_in_postgresql_as_in_the_embedded_store(tmp_path: Path, postgres_url: str) -> None:
    root = tmp_path / "media"
    root.mkdir()
    write_video(root / "shapes.mp4", SPEC)
    write_video(root / "circle.webm", VideoSpec(6.0, (CIRCLE,), seed=1))
    photo(64, 48).save(root / "photo.jpg")
    separator = "&" if "?" in postgres_url else "?"
    found = {}
    for name, location in (
        ("sqlite", str(tmp_path / "index")),
        ("postgres", f"{postgres_url}{separator}collection=videos"),
    ):
        with Index.open(location, model="fake-hash") as index:
            assert index.update([root]).counts["added"] == 3
            record = index.find(root / "shapes.mp4")
            frames = [
                (f.region.time, f.region.frame) for f in frames_of(index, root / "shapes.mp4")
            ]
            hits = index.search("red star", filters=Filters(media="video"), top=20)
            segments = [(Path(h.image.path).name, h.segment) for h in hits]
            assert index.status().videos == 2
            found[name] = (record.duration, record.codec, record.frame_count, frames, segments)
    assert found["sqlite"][:4] == found["postgres"][:4]
    spans = {
        store: [(n, s.start, s.end, s.best) for n, s in segments if s]
        for store, (*_, segments) in found.items()
    }
    assert spans["sqlite"] == spans["postgres"] and spans["sqlite"]


def test_the_demo_writes_videos_with_their_moments(tmp_path: Path) -> None:
    out = tmp_path / "videos"
    made = imgsearch("demo", "videos", str(out), "--count", "3", "--seed", "5")
    assert made.returncode == 0, made.stderr
    truth = json.loads((out / "moments.json").read_text())
    assert len(truth) == 3 and {t["path"] for t in truth} == {
        p.name for p in out.iterdir() if p.suffix != ".json"
    }
    for video in truth:
        assert video["appearances"]
        for a in video["appearances"]:
            assert 0 <= a["start"] < a["end"] <= video["duration"]
    assert "imgsearch search" in made.stdout


def test_segments_are_ranked_exactly_and_only_videos_that_can_reach_the_page_are_read(
    tmp_path: Path, index: Index
) -> None:
    root = tmp_path / "media"
    root.mkdir()
    for n in range(8):
        spec = VideoSpec(
            6.0,
            (Appearance("star", "red", 1.0 + n % 3, 4.0 + n % 3, diameter=0.2 + n / 40),),
            seed=n,
        )
        write_video(root / f"clip_{n}.webm", spec)
    index.update([root])
    vector = index.encoder.embed_texts(["red star"])[0]
    # every segment of every video, ranked by hand
    from imgsearch.kinds import kind_of

    def segments(record: Any) -> Any:
        frames = [f for f in index.regions(record) if f.region.source == "frame"]
        cosines = index.region_vectors([f.id for f in frames]) @ vector
        return kind_of("video").matches(record, frames, cosines)

    everything = sorted(
        ((-m.cosine, r.id, m.at) for r in map(index.find, sorted(root.iterdir()))
         for m in segments(r)),
    )  # fmt: skip
    reads: list[int] = []
    original = index.store.regions.vectors

    def counted(ids: Any) -> Any:
        reads.append(len(ids))
        return original(ids)

    index.store.regions.vectors = counted  # type: ignore[method-assign]
    hits = index.search(Query((QueryPart(text="red star"),), top=3, metadata_weight=0))
    assert [(-h.cosine, h.id, h.segment.start) for h in hits if h.segment] == [
        (pytest.approx(c, abs=1e-6), i, s) for c, i, s in everything[:3]
    ]
    assert len(reads) < 8  # not every video's frames were read


def test_a_video_failed_for_want_of_pyav_is_read_once_pyav_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file was fine: once the extra is installed, the next run reads it without
    --retry-failed; while it is still missing, the file stays known bad."""
    import importlib.util
    import sys

    root = tmp_path / "media"
    root.mkdir()
    write_video(root / "clip.mp4", VideoSpec(3.0, (STAR,)))
    real_find_spec = importlib.util.find_spec
    with monkeypatch.context() as without:
        without.setitem(sys.modules, "imgsearch.media.video", None)  # import fails: no PyAV
        without.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "av" else real_find_spec(name, *a),
        )
        with Index.open(tmp_path / "index", model="fake-hash") as index:
            assert index.update([root]).counts["failed"] == 1
            [failure] = index.failures()
            assert failure.code == "MissingExtra"
            assert failure.message == "reading videos needs the video extra"
            assert index.update([root]).counts["skipped"] == 1  # still missing: known bad
    with Index.open(tmp_path / "index", model="fake-hash") as index:  # PyAV is back
        report = index.update([root])
        assert report.counts["added"] == 1 and index.failures() == []
        assert index.find(root / "clip.mp4").is_video
