"""Retrieval evaluation: how well an index answers a file of labelled queries, and how
well its confidences are calibrated (``imgsearch evaluate``).

::

    from imgsearch import Index
    from imgsearch.evaluation import evaluate

    with Index.open("~/my-index") as index:
        result = evaluate(index, "queries.jsonl")
        print(result.overall.recall_at_10, result.overall.ece)

The query file format is in :mod:`imgsearch.evaluation.queries`, the numbers in
:mod:`imgsearch.evaluation.summary`. ``fit=True`` refits the confidence calibration from
these labels (Platt scaling) and stores it with the index: measure it on *other* queries.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imgsearch.evaluation.diagram import reliability_svg
from imgsearch.evaluation.judge import DEFAULT_DEPTH, judge
from imgsearch.evaluation.queries import (
    LabelledQuery,
    LineProblem,
    QueryFile,
    QueryFileError,
    read_queries,
)
from imgsearch.evaluation.summary import (
    QueryScore,
    Summary,
    per_query,
    refit,
    reliability_of,
    summarise,
)
from imgsearch.index import Index
from imgsearch.metrics import ReliabilityBin
from imgsearch.query.calibration import Calibration
from imgsearch.query.confidence import AUTO_CONFIDENCE
from imgsearch.query.expression import DEFAULT_METADATA_WEIGHT

__all__ = [
    "DEFAULT_DEPTH",
    "Evaluation",
    "LineProblem",
    "QueryFileError",
    "QueryScore",
    "Summary",
    "evaluate",
    "reliability_svg",
]
KINDS = ("text", "image", "region", "mix")


@dataclass(frozen=True)
class Evaluation:
    file: str
    model_id: str
    calibration: Calibration
    """The calibration the confidences were judged with (the index's, before a refit)."""
    cut: float
    overall: Summary
    by_kind: dict[str, Summary]
    problems: tuple[LineProblem, ...]
    bins: list[ReliabilityBin]
    fitted: Calibration | None = None
    """With ``fit=True``: the calibration fitted from these queries, now the index's."""
    queries: tuple[QueryScore, ...] = ()
    """Each query's own numbers (with the calibration above), in file order."""
    fitted_overall: Summary | None = field(default=None)
    """With ``fit=True``: the numbers with the fitted calibration (on the queries it was
    fitted on: optimistic; evaluate other queries to know)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "model": self.model_id,
            "calibration": self.calibration.as_dict(),
            "cut": self.cut,
            "overall": self.overall.as_dict(),
            "by_kind": {kind: s.as_dict() for kind, s in self.by_kind.items()},
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
            "reliability": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "confidence": round(b.confidence, 4),
                    "relevant": round(b.frequency, 4),
                }
                for b in self.bins
            ],
            "fitted": self.fitted.as_dict() if self.fitted else None,
            "fitted_overall": self.fitted_overall.as_dict() if self.fitted_overall else None,
            "queries": [q.as_dict() for q in self.queries],
        }

    def diagram(self) -> str:
        """The reliability diagram (SVG)."""
        ece = self.overall.ece
        title = f"{Path(self.file).name}: {self.model_id}" + (
            f", ECE {ece:.3f}" if ece is not None else ""
        )
        return reliability_svg(self.bins, title)


def evaluate(
    index: Index,
    path: str | os.PathLike[str] | QueryFile,
    *,
    depth: int = DEFAULT_DEPTH,
    cut: float = AUTO_CONFIDENCE,
    metadata_weight: float = DEFAULT_METADATA_WEIGHT,
    fit: bool = False,
    on_query: Callable[[LabelledQuery], None] | None = None,
) -> Evaluation:
    """Run the labelled queries in ``path`` (or already read, :func:`read_queries`)
    against ``index`` and measure them; lines that cannot be used are in ``problems``
    (with their numbers), the rest still count."""
    if not 0 < cut < 1:
        raise ValueError("the cut-off is a confidence between 0 and 1")
    settings = index.store.settings()
    if settings is None:
        raise QueryFileError(
            f"the index at {index.store.location} is empty", hint="index a folder first"
        )
    queries = path if isinstance(path, QueryFile) else read_queries(path)
    judged, failed = judge(
        index, queries.queries, depth=depth, metadata_weight=metadata_weight, on_query=on_query
    )
    problems = tuple(sorted(queries.problems + tuple(failed), key=lambda p: p.line))
    if not judged:
        shown = "; ".join(str(p) for p in problems[:5])
        raise QueryFileError(f"no query of {queries.path} could be evaluated: {shown}")
    calibration = index.calibration
    result = Evaluation(
        file=queries.path,
        model_id=settings.model_id,
        calibration=calibration,
        cut=cut,
        overall=summarise(judged, calibration, cut),
        by_kind={
            kind: summarise(chosen, calibration, cut)
            for kind in KINDS
            if (chosen := [j for j in judged if j.query.kind == kind])
        },
        problems=problems,
        bins=reliability_of(judged, calibration),
        queries=tuple(per_query(judged, calibration, cut)),
    )
    if not fit:
        return result
    when = time.strftime("%Y-%m-%d")
    fitted = refit(
        judged, f"{len(judged)} labelled queries of {Path(queries.path).name}, {when}", calibration
    )
    index.set_calibration(fitted)
    return replace(result, fitted=fitted, fitted_overall=summarise(judged, fitted, cut))
