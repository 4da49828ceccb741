"""Segments: the moments of a video that match a query, from its kept frames' cosines.

A kept frame stands for the time from its timestamp to the next kept frame's (the
frames between were dropped as near duplicates or between samples), the last one until
the video ends. For one query, a video's frames are split by how close their cosine is
to the video's best, measured on the video's own spread (``best − lowest``):

- a frame **starts** a segment when its cosine is at least ``best − START × spread``
  (``START`` = 0.5: in the upper half of what this video shows for the query);
- a segment **extends** over neighbouring frames while their cosine stays at least
  ``best − EXTEND × spread`` (``EXTEND`` = 0.75), so a frame where the object is briefly
  smaller or partly hidden does not split one appearance in two;
- a video whose frames all score alike (spread below ``FLAT`` = 0.01) is one segment.

Each segment has ``start`` and ``end`` (seconds), ``best`` (the timestamp of its best
frame) and that frame's cosine, which ranks it: a video that shows the object twice
gives two hits. The thresholds are relative to the video itself, so they carry across
models; a query with no true match still gets its video's best moment — a cut-off that
means the same across queries is issue 18's confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

START = 0.5
EXTEND = 0.75
FLAT = 0.01


@dataclass(frozen=True)
class Moment:
    """One kept frame's score for a query: its region id, timestamp and cosine."""

    region_id: int
    time: float
    cosine: float


@dataclass(frozen=True)
class Segment:
    """Consecutive matching frames of one video: ``start``–``end`` seconds, its ``best``
    frame (timestamp, cosine, region id) and every matching frame (``moments``)."""

    start: float
    end: float
    best: float
    cosine: float
    region_id: int
    moments: tuple[Moment, ...]

    def describe(self) -> str:
        """``00:01:23.4–00:01:31.0``, as the CLI prints it."""
        return f"{clock(self.start)}–{clock(self.end)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "best": round(self.best, 3),
            "cosine": round(self.cosine, 6),
            "frame_id": self.region_id,
            "moments": [
                {"time": round(m.time, 3), "cosine": round(m.cosine, 6), "frame_id": m.region_id}
                for m in self.moments
            ],
        }


def clock(seconds: float) -> str:
    """``hh:mm:ss.d`` (tenths, rounded down so a moment never reads later than it is)."""
    tenths = int(max(seconds, 0.0) * 10 + 1e-6)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{hours:02d}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def find_segments(moments: Sequence[Moment], duration: float) -> list[Segment]:
    """The segments of one video's frames (any order), best first (see the module
    docstring); none when it has no frames."""
    frames = sorted(moments, key=lambda m: (m.time, m.region_id))
    if not frames:
        return []
    ends = [m.time for m in frames[1:]] + [max(duration, frames[-1].time)]
    cosines = [m.cosine for m in frames]
    best, lowest = max(cosines), min(cosines)
    spread = best - lowest
    if spread < FLAT:
        return [_segment(frames, ends, 0, len(frames))]
    start_at, extend_at = best - START * spread, best - EXTEND * spread
    segments: list[Segment] = []
    free = 0  # frames before this one belong to a segment already
    for n in range(len(frames)):
        if n < free or cosines[n] < start_at:
            continue
        first = n
        while first > free and cosines[first - 1] >= extend_at:
            first -= 1
        stop = n + 1
        while stop < len(frames) and cosines[stop] >= extend_at:
            stop += 1
        segments.append(_segment(frames, ends, first, stop))
        free = stop
    segments.sort(key=lambda s: (-s.cosine, s.start))
    return segments


def _segment(frames: Sequence[Moment], ends: Sequence[float], first: int, stop: int) -> Segment:
    part = frames[first:stop]
    top = max(part, key=lambda m: (m.cosine, -m.time))
    return Segment(
        start=part[0].time,
        end=ends[stop - 1],
        best=top.time,
        cosine=top.cosine,
        region_id=top.region_id,
        moments=tuple(part),
    )
