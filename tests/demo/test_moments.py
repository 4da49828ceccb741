"""Video search with the shipped demo-shapes model: the segments it returns are the moments
the object is on screen, and no video that never shows it reaches the top 10."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("av")

from imgsearch import Index
from imgsearch.demo.moments import TARGETS, generate_videos, score_moments


@pytest.mark.slow
def test_segments_find_the_moments_an_object_is_on_screen(tmp_path: Path) -> None:
    videos = generate_videos(tmp_path / "videos", 40, seed=2)
    with Index.open(tmp_path / "index", model="demo-shapes") as index:
        report = index.update([tmp_path / "videos"])
        assert report.counts["added"] == 40 and report.counts["failed"] == 0
        score = score_moments(index, videos)
    assert score.queries == len(TARGETS) and score.segments == 10 * len(TARGETS)
    assert score.wrong_videos == 0, score
    assert score.best_inside >= 0.9, score
    assert score.temporal_iou >= 0.6, score
