"""The server's background job — one at a time: an index run of the configured folders
(``POST /v1/index``) or an import of an annotations file (``POST /v1/annotations``) —
and its progress, read by ``GET /v1/index``.

Jobs open their own writer on the index with the served model, so searches go on while
they run and see each batch as it commits.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from imgsearch.errors import ImgsearchError
from imgsearch.index import Index
from imgsearch.indexer import IndexEvent
from imgsearch.models.images import ImagePipeline

log = logging.getLogger("imgsearch.server")


QUICK = frozenset({"unchanged", "skipped"})
"""Outcomes that cost no reading (same size and time; known bad and unchanged)."""


@dataclass
class JobState:
    """Progress of the background job: an index run, or an import of annotations
    (``kind``)."""

    state: str = "idle"  # idle | running | done | failed
    kind: str = "index"  # index | annotations
    roots: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0
    quick: int = 0
    """Of ``done``, the files that needed no work (unchanged, known bad and unchanged):
    counted in a burst before the others, so a rate over ``done`` would promise an end
    long before it comes."""
    working_since: float | None = None
    """When the first file that needed reading was done: the page's rate and time left
    are ``(done - quick)`` over the time since."""
    counts: dict[str, int] = field(default_factory=dict)
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the index's region policy added after the run (grid windows, detector objects)."""
    text: dict[str, int] = field(default_factory=dict)
    """Pictures whose text was read (OCR): read, with_text, warnings."""
    annotations: dict[str, Any] | None = None
    """An import's report (boxes imported, embedded, kept, problems per entry)."""
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Jobs:
    """Starts the background job unless one is running, and keeps its state."""

    def __init__(
        self,
        index_path: str,
        images: Callable[[], ImagePipeline],
        on_written: Callable[[], None] = lambda: None,
        *,
        read_text: bool | None = None,
    ) -> None:
        self.index_path = index_path
        self.read_text = read_text
        """Index runs read the text in pictures (OCR); ``None``: as the index was told last."""
        self._images = images
        self._on_written = on_written  # the searching Index reads its sample again
        self.job = JobState()
        self._lock = threading.Lock()

    def _claim(self, kind: str, roots: list[str]) -> JobState | None:
        with self._lock:
            if self.job.state == "running":
                return None
            self.job = JobState(state="running", kind=kind, roots=roots, started_at=time.time())
            return self.job

    def start_index(self, roots: list[str]) -> bool:
        """Start bringing ``roots`` in step; False if a job is going."""
        job = self._claim("index", roots)
        if job is None:
            return False
        threading.Thread(
            target=self._index, args=(job, roots), name="imgsearch-index", daemon=True
        ).start()
        return True

    def start_import(self, document: bytes, suffix: str, padding: float, roots: list[str]) -> bool:
        """Start importing an annotations file (its bytes; ``suffix`` ``.json`` for COCO,
        ``.xml`` for Pascal VOC) for the images under ``roots``; False if a job is going.
        The bytes wait in a private temporary file, removed when the import ends."""
        job = self._claim("annotations", roots)
        if job is None:
            return False
        scratch = Path(tempfile.mkdtemp(prefix="imgsearch-annotations-"))
        path = scratch / f"annotations{suffix}"
        path.write_bytes(document)
        threading.Thread(
            target=self._import, args=(job, path, roots, padding), name="imgsearch-import",
            daemon=True,
        ).start()  # fmt: skip
        return True

    def _index(self, job: JobState, roots: list[str]) -> None:
        def progress(event: IndexEvent) -> None:
            job.done, job.total = event.done, event.total
            if event.kind in QUICK:
                job.quick += 1
            elif job.working_since is None and event.kind != "removed":
                job.working_since = time.time()

        try:
            with Index.open(self.index_path, images=self._images()) as writer:
                report = writer.update(roots, on_event=progress, read_text=self.read_text)
            job.counts = dict(report.counts)
            job.regions = {source: done.as_dict() for source, done in report.regions.items()}
            job.text = asdict(report.text)
            job.state = "done"
        except Exception as exc:  # reported through GET /v1/index, and logged
            log.exception("index run failed")
            job.error = str(exc)
            job.state = "failed"
        finally:
            job.finished_at = time.time()
            self._on_written()

    def _import(self, job: JobState, path: Path, roots: list[str], padding: float) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            with Index.open(self.index_path, images=self._images()) as writer:
                report = writer.import_annotations(
                    path, roots, padding=padding, on_progress=progress
                )
            job.annotations = report.as_dict()
            job.state = "done"
        except ImgsearchError as exc:  # an unusable file: the client's to fix, and said so
            job.error = exc.message
            job.state = "failed"
        except Exception as exc:  # a server fault: reported, and logged
            log.exception("annotation import failed")
            job.error = str(exc)
            job.state = "failed"
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
            job.finished_at = time.time()
            self._on_written()
