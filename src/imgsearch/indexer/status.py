"""What an index holds and how it was last brought in step: the one shape both edges give —
``imgsearch status --json`` and ``GET /v1/status`` — with the same fields and formats.

Each edge adds only what is its own: the command line whether a daemon answers for the
index (``daemon``) and, with ``--errors``, the files that failed; the server its
background job (``job``) and whether it asks for keys (``security``). Times are ISO 8601
in the answering machine's zone with its offset, as in hits; sizes are bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imgsearch.indexer.read_text import TextStatus
from imgsearch.query.calibration import Calibration
from imgsearch.query.hits import local_time
from imgsearch.regions.policy import RegionPolicy
from imgsearch.store import StoreStats


@dataclass(frozen=True)
class IndexStatus:
    """An index's counts, model, search mode, kept regions, confidence calibration, read
    text and last run."""

    location: str
    stats: StoreStats
    text: TextStatus
    region_policy: RegionPolicy
    calibration: Calibration | None
    """``None`` while the index has no model yet."""
    running: bool = False
    """Whether a run over all the index's folders writes to it now (its lock is held): a
    last run that has not completed is then this one, not one that was stopped."""

    def as_dict(self) -> dict[str, Any]:
        stats, run, text = self.stats, self.stats.last_run, self.text.counts
        return {
            "index": self.location,
            "model": stats.settings.model_id if stats.settings else None,
            "dim": stats.settings.dim if stats.settings else None,
            "images": stats.images,
            "videos": stats.videos,
            "kinds": dict(stats.kinds),
            "vectors": stats.vectors,
            "failures": stats.failures,
            "bytes_on_disk": stats.bytes_on_disk,
            "vector_index": stats.vector_index,
            "regions": stats.regions,
            "region_policy": self.region_policy.as_dict(),
            "calibration": self.calibration.as_dict() if self.calibration else None,
            "text": {
                "ocr": self.text.on_runs,
                "read": text.read,
                "with_text": text.with_text,
                "warnings": text.warnings,
            },
            "last_run": None
            if run is None
            else {
                "started_at": local_time(run.started_at),
                "finished_at": None if run.finished_at is None else local_time(run.finished_at),
                "roots": list(run.roots),
                "completed": run.completed,
                "running": not run.completed and self.running,
                "counts": run.counts(),
            },
        }
