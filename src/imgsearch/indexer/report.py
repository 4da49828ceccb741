"""What an index run tells its caller: an event per file as it goes, a report at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from imgsearch.indexer.read_text import TextReport
from imgsearch.store import Failure, Run

if TYPE_CHECKING:
    from imgsearch.regions.passes import RegionReport

EventKind = Literal[
    "added", "updated", "touched", "moved", "duplicate", "removed", "failed", "unchanged", "skipped"
]  # fmt: skip
"""What happened to a file: embedded as new / embedded again / metadata only /
found at a new path / copied from identical bytes / gone / bad / untouched /
known bad and unchanged."""
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)

MAX_REPORTED_FAILURES = 10_000
"""Failures an :class:`IndexReport` lists (``counts["failed"]`` counts them all, and the
store keeps every one: ``imgsearch status --errors``)."""


@dataclass(frozen=True)
class IndexEvent:
    """One file's outcome, reported as the run goes (``done`` of ``total`` so far)."""

    kind: EventKind
    path: str
    done: int
    total: int
    message: str = ""


@dataclass
class IndexReport:
    """Summary of a run: counts per event kind, how many images the model saw, the failures
    (the first :data:`MAX_REPORTED_FAILURES`)."""

    roots: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENT_KINDS, 0))
    embedded: int = 0
    thumbprinted: int = 0
    """Unchanged pictures indexed before thumbprints were stored that got one this run."""
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    walk_errors: list[tuple[str, str]] = field(default_factory=list)
    regions: dict[str, RegionReport] = field(default_factory=dict)
    """What the index's region policy added after the run, per source (``grid``,
    ``detector``; see :mod:`imgsearch.regions.policy`)."""
    text: TextReport = field(default_factory=TextReport)
    """Images whose text was read (OCR) this run, in the decode pass and after it."""

    def as_run(self, started_at: float, finished_at: float | None, completed: bool) -> Run:
        c = self.counts
        return Run(
            started_at=started_at,
            finished_at=finished_at,
            roots=self.roots,
            added=c["added"],
            updated=c["updated"] + c["touched"],
            moved=c["moved"],
            duplicates=c["duplicate"],
            removed=c["removed"],
            failed=c["failed"],
            unchanged=c["unchanged"] + c["skipped"],
            embedded=self.embedded,
            completed=completed,
        )

    def record_failure(self, failure: Failure) -> None:
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append(failure)
