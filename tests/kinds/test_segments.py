"""Segments: a video's kept frames, scored for one query, grouped into moments."""

from __future__ import annotations

import pytest

from imgsearch.kinds.segments import Moment, clock, find_segments


def moments(*pairs: tuple[float, float]) -> list[Moment]:
    return [Moment(n + 1, time, cosine) for n, (time, cosine) in enumerate(pairs)]


def test_one_appearance_is_one_segment_ending_where_the_next_frame_begins() -> None:
    frames = moments((0, 0.1), (1, 0.1), (3, 0.6), (4, 0.62), (5, 0.58), (6, 0.1), (9, 0.12))
    [segment] = find_segments(frames, duration=12.0)
    assert (segment.start, segment.end, segment.best) == (3, 6, 4)
    assert segment.cosine == pytest.approx(0.62) and segment.region_id == 4
    assert [m.time for m in segment.moments] == [3, 4, 5]


def test_two_appearances_are_two_segments_best_first_and_the_last_runs_to_the_end() -> None:
    frames = moments((0, 0.1), (2, 0.5), (3, 0.1), (7, 0.7), (8, 0.68))
    first, second = find_segments(list(reversed(frames)), duration=10.0)  # any order in
    assert (first.start, first.end, first.best) == (7, 10.0, 7)
    assert (second.start, second.end, second.best) == (2, 3, 2)


def test_a_dip_inside_an_appearance_does_not_split_it() -> None:
    # 0.45 is below the start line (0.5 of the spread) but above the extend line (0.75)
    frames = moments((0, 0.0), (1, 0.8), (2, 0.45), (3, 0.78), (4, 0.0))
    [segment] = find_segments(frames, duration=5.0)
    assert (segment.start, segment.end) == (1, 4)


def test_a_segment_extends_backwards_over_frames_above_the_extend_line() -> None:
    frames = moments((0, 0.0), (1, 0.3), (2, 0.9), (3, 0.0))
    [segment] = find_segments(frames, duration=4.0)
    assert (segment.start, segment.end, segment.best) == (1, 3, 2)


def test_flat_and_single_frame_videos_are_one_segment_and_no_frames_none() -> None:
    [flat] = find_segments(moments((0, 0.3), (5, 0.305), (9, 0.301)), duration=12.0)
    assert (flat.start, flat.end, flat.best) == (0, 12.0, 5)
    [single] = find_segments(moments((0, 0.2)), duration=3.5)
    assert (single.start, single.end) == (0, 3.5)
    assert find_segments([], duration=3.0) == []


def test_clock_reads_hours_minutes_seconds_and_tenths_never_later_than_the_moment() -> None:
    assert clock(83.46) == "00:01:23.4"
    assert clock(3600 + 61.0) == "01:01:01.0"
    assert clock(0.0999) == "00:00:00.0"
    [segment] = find_segments(moments((83.4, 0.1), (84, 0.9), (91.0, 0.1)), duration=95)
    assert segment.describe() == "00:01:24.0–00:01:31.0"
