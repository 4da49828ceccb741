"""A run killed with SIGKILL in the middle of a video: every video in the index is whole
(all its kept frames) or absent, and the next run ends as an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("av")

from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from tests.cli.test_cli import imgsearch
from tests.cli.test_index_cli import committed
from tests.conftest import photo

ARGS = ["--model", "fake-hash", "--video-rate", "5", "--quiet"]


def frames(index: Path) -> dict[str, list[tuple[float, int, bytes]]]:
    """Path → its kept frames (time, number, vector), for every committed item."""
    with sqlite3.connect(f"file:{index / 'index.db'}?mode=ro", uri=True, timeout=5) as db:
        rows = db.execute(
            "SELECT i.path, r.time, r.frame, r.vector FROM images i "
            "LEFT JOIN regions r ON r.image_id = i.id AND r.source = 'frame' "
            "ORDER BY i.path, r.time"
        ).fetchall()
    found: dict[str, list[tuple[float, int, bytes]]] = {}
    for path, moment, number, vector in rows:
        found.setdefault(path, [])
        if moment is not None:
            found[path].append((moment, number, vector))
    return found


@pytest.mark.slow
def test_sigkill_mid_video_leaves_each_video_whole_or_absent(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    for n in range(6):
        moving = Appearance(
            "square", "green", 0.0, 12.0, begin=(0.1, 0.2 + n / 10), finish=(0.9, 0.5)
        )
        star = Appearance("star", "red", 2.0 + n, 6.0 + n, begin=(0.8, 0.8), finish=(0.2, 0.3))
        write_video(
            root / f"clip_{n}.{('mp4', 'webm', 'mkv')[n % 3]}",
            VideoSpec(12.0, (moving, star), seed=n),
        )
        photo(80, 60, seed=n).save(root / f"photo_{n}.jpg")
    reference = tmp_path / "reference"
    done = imgsearch("index", str(root), "--index", str(reference), *ARGS, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["embedded"] >= 6 * 40  # long enough to be killed inside
    expected = frames(reference)
    assert all(expected[str(p)] for p in root.glob("clip_*"))

    crashed = tmp_path / "crashed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}
    for target in (1, 3, 6, 9):  # kill once that many items are committed
        process = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(root), "--index", str(crashed), *ARGS],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while process.poll() is None and committed(crashed) < target:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for path, kept in frames(crashed).items():  # whole or absent, never half
            assert kept == expected[path], path
    final = imgsearch("index", str(root), "--index", str(crashed), *ARGS)
    assert final.returncode == 0, final.stderr
    assert frames(crashed) == expected
