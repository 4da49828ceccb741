"""How well video search finds the moments an object is on screen (issue 16's measurement).

A generated set of short videos (:mod:`imgsearch.demo.videos`): each shows one to three
**target** objects (one colour + shape per shape of the demo world) entering and
leaving at known times, drifting meanwhile, and sometimes a **distractor** of the same
shape in another colour; every target is in at least ``k`` videos. Each target is then
searched by its name (``"red star"``) among the videos, through :meth:`Index.search`,
and the top ``k`` segments are judged against the ground truth:

- **wrong videos**: segments from a video that never shows the object (target: none);
- **best inside**: the share of the other segments whose best timestamp lies inside an
  interval in which the object is on screen (target: at least 0.9);
- **temporal IoU**: each such segment's intersection over union with the interval it
  overlaps most (reported; a segment ends where the next kept frame begins, so it
  overshoots an exit by up to one sampling interval).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from imgsearch.demo.shapes import COLOURS, SHAPES, Background
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from imgsearch.index import Index
from imgsearch.query.expression import Hit
from imgsearch.store import Filters

TARGET_COLOURS = ("blue", "green", "red", "purple", "yellow", "orange")
TARGETS = tuple(f"{c} {s}" for c, s in zip(TARGET_COLOURS, SHAPES, strict=True))
"""One queried object per shape: blue circle, green square, red triangle, purple star,
yellow hexagon, orange cross."""
SUFFIXES = (".mp4", ".mp4", ".webm", ".mkv", ".mov")


@dataclass(frozen=True)
class GeneratedVideo:
    path: Path
    spec: VideoSpec


@dataclass(frozen=True)
class MomentScore:
    """The judgement of ``queries`` target searches, top ``k`` segments each."""

    k: int
    queries: int
    segments: int
    wrong_videos: int
    best_inside: float
    temporal_iou: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "k": self.k,
            "queries": self.queries,
            "segments": self.segments,
            "wrong_videos": self.wrong_videos,
            "best_inside": round(self.best_inside, 4),
            "temporal_iou": round(self.temporal_iou, 4),
        }


def generate_videos(root: Path, count: int, *, seed: int = 0, k: int = 10) -> list[GeneratedVideo]:
    """``count`` videos under ``root`` (at least ``k`` per target: count ≥ 2k or so)."""
    rng = random.Random(f"moments/{seed}")
    specs = [_spec(rng, n, seed) for n in range(count)]
    shown = {
        name: sum(any(a.name == name for a in s.appearances) for s in specs) for name in TARGETS
    }
    if min(shown.values()) < k:
        raise ValueError(f"{count} videos show some target fewer than {k} times: {shown}")
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for n, spec in enumerate(specs):
        path = root / f"video_{n:03d}{SUFFIXES[n % len(SUFFIXES)]}"
        write_video(path, spec)
        made.append(GeneratedVideo(path, spec))
    return made


def write_truth(path: Path, videos: list[GeneratedVideo]) -> None:
    """When each object is on screen in each video, as JSON (the videos' ground truth)."""
    truth = [
        {
            "path": v.path.name,
            "duration": v.spec.duration,
            "appearances": [
                {"object": a.name, "start": a.start, "end": min(a.end, v.spec.duration)}
                for a in v.spec.appearances
            ],
        }
        for v in videos
    ]
    path.write_text(json.dumps(truth, indent=1))


def _spec(rng: random.Random, number: int, seed: int) -> VideoSpec:
    duration = float(rng.randint(10, 16))
    appearances = []
    for name in rng.sample(TARGETS, rng.randint(1, 3)):
        appearances.append(_appearance(rng, name, duration))
    if rng.random() < 0.5:  # the same shape as a target, in a colour no target has
        target = rng.choice(TARGETS).split()[1]
        colour = rng.choice([c for c in COLOURS if f"{c} {target}" not in TARGETS])
        appearances.append(_appearance(rng, f"{colour} {target}", duration))
    tone = rng.choice(("grey", "white", "beige"))
    return VideoSpec(
        duration,
        tuple(appearances),
        background=Background(rng.choice(("plain", "gradient")), (tone, "dark grey")),
        seed=seed * 10_000 + number,
    )


def _appearance(rng: random.Random, name: str, duration: float) -> Appearance:
    colour, shape = name.split()
    length = rng.uniform(2.5, 5.0)
    start = round(rng.uniform(0.5, duration - length - 0.5), 1)
    begin = (rng.uniform(0.25, 0.75), rng.uniform(0.3, 0.7))
    finish = (rng.uniform(0.25, 0.75), rng.uniform(0.3, 0.7))
    diameter = rng.uniform(0.25, 0.4)
    return Appearance(shape, colour, start, round(start + length, 1), begin, finish, diameter)


def score_moments(index: Index, videos: list[GeneratedVideo], *, k: int = 10) -> MomentScore:
    """Search every target among ``videos`` (indexed in ``index``) and judge the top ``k``."""
    truth = {str(v.path.resolve()): v.spec for v in videos}
    wrong = inside = judged = 0
    overlaps: list[float] = []
    for name in TARGETS:
        for hit in index.search(name, top=k, filters=Filters(media="video")):
            spec = truth[hit.image.path]
            intervals = spec.visible(name)
            if not intervals:
                wrong += 1
                continue
            judged += 1
            inside += _best_inside(hit, intervals)
            overlaps.append(_iou(hit, intervals))
    return MomentScore(
        k=k,
        queries=len(TARGETS),
        segments=judged + wrong,
        wrong_videos=wrong,
        best_inside=inside / max(judged, 1),
        temporal_iou=sum(overlaps) / max(len(overlaps), 1),
    )


def _best_inside(hit: Hit, intervals: list[tuple[float, float]]) -> bool:
    assert hit.segment is not None
    return any(start <= hit.segment.best < end for start, end in intervals)


def _iou(hit: Hit, intervals: list[tuple[float, float]]) -> float:
    assert hit.segment is not None
    a, b = hit.segment.start, hit.segment.end
    best = 0.0
    for start, end in intervals:
        overlap = max(0.0, min(b, end) - max(a, start))
        union = max(b, end) - min(a, start)
        best = max(best, overlap / union if union > 0 else 0.0)
    return best
