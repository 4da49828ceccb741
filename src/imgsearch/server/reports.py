"""Reports too slow for a request — the duplicates report, 63 s at 100,000 pictures — made in
the background, one at a time, and kept while the index does not change.

Before, each ``GET /v1/duplicates`` computed its report on a request thread, and requests
queued behind one another each held a thread for up to a minute: ``/v1/status`` took 55 s,
and any web page could trigger it with keys off. Now a request starts the report (unless
the same one is kept or under way), waits a moment for it (a small collection's report is
ready in milliseconds: the answer is the report, as before), and otherwise answers at once
with the job's state and stage; asking again later gets the report. A report is kept for
its parameters until the index changes (its counts or its last run).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from imgsearch.duplicates.report import DuplicateReport
from imgsearch.errors import ImgsearchError
from imgsearch.index import Index

log = logging.getLogger("imgsearch.server")

MAX_REPORTED_GROUPS = 1000
"""Groups a report lists (largest first): the most one request may ask for."""
KEPT_REPORTS = 8
"""Finished reports kept (for other parameters or an older state of the index)."""


@dataclass
class ReportJob:
    """One report: under way (``stage`` says where), done (``report``) or failed."""

    key: tuple[Any, ...]
    state: str = "running"  # queued | running | done | failed
    stage: str = "starting"
    started_at: float = field(default_factory=time.time)
    report: DuplicateReport | None = None
    error: ImgsearchError | None = None
    failure: str | None = None

    def progress(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "stage": self.stage,
            "seconds": round(time.time() - self.started_at, 1),
        }


class DuplicateReports:
    """Duplicates reports of one index: computed on a thread of their own, one at a time."""

    def __init__(self, index: Index, groups: int = MAX_REPORTED_GROUPS) -> None:
        self._index = index
        self._groups = groups  # groups a kept report lists: the most a request may ask for
        self._kept: OrderedDict[tuple[Any, ...], ReportJob] = OrderedDict()
        self._running: ReportJob | None = None
        self._lock = threading.Lock()

    def request(self, under: list[str], min_confidence: float) -> ReportJob:
        """The report for these parameters and the index as it is now: kept, under way,
        started now, or — while another one is made — a ``queued`` job to ask again for."""
        key = (tuple(under), min_confidence, self._version())
        with self._lock:
            job = self._kept.get(key)
            if job is not None and job.state != "failed":
                self._kept.move_to_end(key)
                return job
            if self._running is not None and self._running.state == "running":
                return self._running if self._running.key == key else ReportJob(key, "queued")
            job = self._running = ReportJob(key)
            self._kept[key] = job
            while len(self._kept) > KEPT_REPORTS:
                self._kept.popitem(last=False)
        threading.Thread(
            target=self._make, args=(job, under, min_confidence), name="imgsearch-report",
            daemon=True,
        ).start()  # fmt: skip
        return job

    def _version(self) -> tuple[Any, ...]:
        stats = self._index.status()
        run = stats.last_run
        return (stats.images, stats.vectors, run and run.started_at, run and run.finished_at)

    def _make(self, job: ReportJob, under: list[str], min_confidence: float) -> None:
        def stage(name: str) -> None:
            job.stage = name

        try:
            job.report = self._index.duplicates(
                under=under, min_confidence=min_confidence, limit=self._groups, on_stage=stage
            )
            job.state = "done"
        except ImgsearchError as exc:  # the request's to fix: answered as it would have been
            job.error = exc
            job.state = "failed"
        except Exception as exc:  # a server fault: reported, and logged
            log.exception("duplicates report failed")
            job.failure = str(exc)
            job.state = "failed"
