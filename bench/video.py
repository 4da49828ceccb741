"""Video frame selection, measured: seconds of video indexed per wall second, frames
decoded and embedded, against the naive approach, in one run (issue 16).

Two 1080p H.264 files (``--minutes`` long, 30 fps; shapes of the demo world drifting in
and out, so the video has moments) are generated once under ``.bench/``: one with x264's
default keyframe spacing (at most 250 frames, plus scene cuts) and one with a keyframe
every second, as phones and most cameras write. Then, with the ViT-B/32-architecture
model (random weights, fp32; the same compute as the real one):

- **imgsearch**: ``Index.update`` on a folder holding the file — the whole indexer: the
  file hashed, its frames selected (:func:`imgsearch.media.video.select_frames`: one
  decode pass, keyframes or reference frames only, near duplicates dropped, frames
  reduced) on a thread ahead of the model, the video and its frames written to a fresh
  index;
- **naive**: what people write — PyAV decodes every frame at full size, one frame per
  second is converted to a PIL image and embedded.

Both run with the fp32 model and again with its int8 vision tower (``--precision``),
each against the naive approach with the same model. Target (issue 16) on 2 cores:
≥ 20× real time end to end and ≥ 3× the naive approach.

    python bench/video.py [--minutes 2] [--precision fp32 --precision int8]
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import random
import tempfile
import time

import av

from embed import WORK, model_folder
from imgsearch import Embedder, Index
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from imgsearch.media.video import Selection, probe, select_frames


def moments(minutes: float, gop: int | None, seed: int = 7) -> VideoSpec:
    """A shape enters every few seconds and drifts for a few seconds more."""
    rng = random.Random(seed)
    duration = minutes * 60
    appearances, start = [], 1.0
    while start < duration - 2:
        length = rng.uniform(2, 8)
        appearances.append(
            Appearance(
                rng.choice(SHAPES), rng.choice(list(COLOURS)), start, min(duration, start + length),
                begin=(rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.8)),
                finish=(rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.8)),
                diameter=rng.uniform(0.1, 0.3),
            )
        )  # fmt: skip
        start += rng.uniform(3, 12)
    return VideoSpec(duration, tuple(appearances), width=1920, height=1080, fps=30, gop=gop)


def naive(path: Path, embedder: Embedder) -> tuple[int, int]:
    """Decode every frame at full size; embed one per second."""
    decoded, pictures = 0, []
    next_second = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            decoded += 1
            if frame.time is not None and frame.time >= next_second:
                next_second += 1.0
                pictures.append(embedder.preprocess(frame.to_image()))
    embedder.images.embed(pictures)
    return decoded, len(pictures)


def ours(path: Path, embedder: Embedder) -> tuple[int, int]:
    """The indexer, end to end, on a folder holding only this file; the frames it decoded
    are counted by a second selection pass outside the timing."""
    with tempfile.TemporaryDirectory(prefix="imgsearch-bench-video-") as work:
        folder = Path(work) / "videos"
        folder.mkdir()
        (folder / path.name).symlink_to(path)
        started = time.perf_counter()
        with Index.open(Path(work) / "index", encoder=embedder) as index:
            report = index.update([folder])
        ours.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    assert report.counts["added"] == 1, report.failures
    selection = Selection()
    for _ in select_frames(path, selection=selection):
        pass
    return selection.decoded, report.embedded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--precision", action="append", choices=("fp32", "int8"))
    options = parser.parse_args()
    folder = model_folder()[1]
    embedders = {p: Embedder(folder, precision=p) for p in options.precision or ("fp32", "int8")}
    for label, gop, suffix in (
        ("x264 default GOP", None, ""),
        ("keyframe every 1 s", 30, "-gop30"),
    ):
        path = WORK / f"video-{options.minutes:g}min-1080p{suffix}.mp4"
        if not path.exists():
            started = time.perf_counter()
            write_video(path.with_suffix(".tmp.mp4"), moments(options.minutes, gop))
            path.with_suffix(".tmp.mp4").replace(path)
            print(
                f"generated {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr
            )
        info = probe(path)
        print(f"\n{path.name} ({label}): {info.duration:.0f} s, {info.width}x{info.height}, "
              f"{info.codec}, {info.fps:g} fps; ViT-B/32 architecture (random weights)\n")  # fmt: skip
        print(
            "| model | approach | frames decoded | frames embedded | wall s | × real time | vs naive |"
        )
        print("|---|---|---|---|---|---|---|")
        for precision, embedder in embedders.items():
            started = time.perf_counter()
            naive_decoded, naive_embedded = naive(path, embedder)
            reference = time.perf_counter() - started
            decoded, embedded = ours(path, embedder)
            seconds = ours.seconds  # type: ignore[attr-defined]
            for name, d, e, s in (
                ("imgsearch", decoded, embedded, seconds),
                ("naive", naive_decoded, naive_embedded, reference),
            ):
                print(f"| {precision} | {name} | {d} | {e} | {s:.1f} | "
                      f"{info.duration / s:.1f}× | {reference / s:.2f}× |")  # fmt: skip


if __name__ == "__main__":
    main()
