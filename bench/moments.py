"""Finding moments in videos, measured: do the segments of a text search cover the time an
object is on screen (issue 16's quality target)?

Held-out sets of generated videos (:mod:`imgsearch.demo.moments`: targets entering and
leaving at known times, distractors of the same shape in other colours; seeds 101…,
never used in tests or training) are indexed with the shipped ``demo-shapes`` model
twice: with imgsearch's frame selection, and — the reference — with one frame per video
(what photo libraries keep of a video: a segment is then the whole video and its best
moment the first frame). Each of the six targets is searched by name; the top 10
segments are judged. Targets: no wrong videos, best timestamp inside the true interval
for ≥ 90% of segments.

    python bench/moments.py [--videos 60] [--seeds 3] [--model demo-shapes]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from imgsearch import Index
from imgsearch.demo.moments import generate_videos, score_moments
from imgsearch.kinds import VideoOptions
from imgsearch.media.video import VideoLimits

FIRST_SEED = 101


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model", default="demo-shapes")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-moments-"))
    rows = []
    for seed in range(FIRST_SEED, FIRST_SEED + options.seeds):
        started = time.perf_counter()
        videos = generate_videos(folder / f"videos-{seed}", options.videos, seed=seed)
        made = time.perf_counter() - started
        for name, limits in (("frames", VideoLimits()), ("one frame", VideoLimits(max_frames=1))):
            with Index.open(folder / f"index-{seed}-{name}", model=options.model) as index:
                started = time.perf_counter()
                report = index.update(
                    [folder / f"videos-{seed}"], video=VideoOptions(limits=limits)
                )
                took = time.perf_counter() - started
                score = score_moments(index, videos)
            rows.append((seed, name, report.embedded, took, score))
        print(f"seed {seed}: generated {options.videos} videos in {made:.0f} s")
    print(f"\n{'seed':>5} {'frames kept':>12} {'embedded':>9} {'index s':>8} {'segments':>9} "
          f"{'wrong videos':>13} {'best inside':>12} {'temporal IoU':>13}")  # fmt: skip
    for seed, name, embedded, took, s in rows:
        print(f"{seed:>5} {name:>12} {embedded:>9} {took:>8.1f} {s.segments:>9} "
              f"{s.wrong_videos:>13} {s.best_inside:>12.3f} {s.temporal_iou:>13.3f}")  # fmt: skip
    for name in ("frames", "one frame"):
        mine = [r[4] for r in rows if r[1] == name]
        segments = sum(s.segments for s in mine)
        print(
            f"{name}: wrong videos {sum(s.wrong_videos for s in mine)} of {segments} segments, "
            f"best inside {sum(s.best_inside for s in mine) / len(mine):.3f}, temporal IoU "
            f"{sum(s.temporal_iou for s in mine) / len(mine):.3f} (means over seeds)"
        )


if __name__ == "__main__":
    main()
