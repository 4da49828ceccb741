"""Bulk hostile input to a real server (``imgsearch serve`` in its own process, loopback):
the answer is a clear 4xx or a recorded problem, and the server's peak memory stays far
below 1.5 GB whatever the counts in the input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from tests.server.test_real_server import running_server

pytestmark = pytest.mark.slow


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if "VmHWM" in line)) / 1024


def test_an_annotation_file_with_150000_boxes_on_one_image_is_imported_in_bounded_memory(
    tmp_path: Path,
) -> None:
    # Before: every crop of a 16-image write was kept until embedded: 12 GB for 397 s.
    shapes = generate_collection(tmp_path / "shapes", 3, seed=5)
    index = tmp_path / "index"
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([shapes.root])
    image = shapes.images[0]
    boxes = [
        {"id": n, "image_id": 1, "category_id": 1, "bbox": [n % 50, n % 40, 30, 30]}
        for n in range(150_000)
    ]
    document = {
        "images": [{"id": 1, "file_name": image.path.name, "width": 256, "height": 256}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": boxes,
    }
    body = json.dumps(document).encode()
    assert len(body) > 10_000_000
    with running_server(index, shapes.root) as (base, process):
        started = requests.post(
            base + "/v1/annotations", data=body, headers={"content-type": "application/json"},
            timeout=60,
        )  # fmt: skip
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 300
        while (job := requests.get(base + "/v1/index", timeout=10).json())["state"] == "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
        peak = peak_rss_mb(process.pid)
    assert job["state"] == "done", job
    report = job["annotations"]
    assert report["images"] == 1 and report["regions"] == 5_000, report
    assert any("over the limit of 5,000 per image" in p["message"] for p in report["problems"])
    assert peak < 1_500, f"server peak RSS {peak:.0f} MB"
