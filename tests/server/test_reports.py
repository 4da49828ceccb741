"""The duplicates report over HTTP is made in the background: a slow one answers 202 with
its state at once (no request waits on it, nothing else slows down), a second report waits
its turn, and the finished report is kept until the index changes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch import Index


def test_a_slow_report_is_a_job_that_holds_up_no_request(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: each request computed the report itself (63 s at 100,000 pictures), requests
    # queued behind it held a thread each, and /v1/status took 55 s.
    gate = threading.Event()
    made: list[float] = []
    real = Index.duplicates

    def slow(self: Index, **kwargs: Any) -> Any:
        kwargs["on_stage"]("neighbours")
        gate.wait(30)
        made.append(kwargs["min_confidence"])
        return real(self, **kwargs)

    monkeypatch.setattr(Index, "duplicates", slow)
    client: TestClient = make_client()
    first = client.get("/v1/duplicates")
    assert first.status_code == 202, first.text
    assert first.json()["state"] == "running" and first.json()["stage"] == "neighbours"
    assert first.headers["Retry-After"] == "2"
    other = client.get("/v1/duplicates", params={"min_confidence": 0.9})
    assert other.status_code == 202 and other.json()["state"] == "queued"
    started = time.monotonic()
    assert client.get("/v1/status").status_code == 200
    assert time.monotonic() - started < 5  # was 55 s behind queued reports
    gate.set()
    deadline = time.monotonic() + 30
    while (done := client.get("/v1/duplicates", params={"limit": 1})).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert done.status_code == 200 and "group_count" in done.json()
    assert len(done.json()["groups"]) <= 1
    assert client.get("/v1/duplicates").status_code == 200  # kept: not made again
    assert len(made) == 1
    later = client.get("/v1/duplicates", params={"min_confidence": 0.9})  # its turn now
    while later.status_code == 202:
        time.sleep(0.05)
        later = client.get("/v1/duplicates", params={"min_confidence": 0.9})
    assert later.json()["min_confidence"] == 0.9 and len(made) == 2
