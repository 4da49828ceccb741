"""``imgsearch evaluate QUERIES.jsonl``: how well the index answers labelled queries, and
how well its confidences are calibrated (see :mod:`imgsearch.evaluation`).

Unusable lines of the query file are listed on stderr with their numbers; the other
queries are still evaluated, and the exit code is then 2 so that scripts notice.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from imgsearch.cli.options import IndexOption, PrecisionOption, open_index
from imgsearch.confidence import AUTO_CONFIDENCE
from imgsearch.errors import InvalidSettings
from imgsearch.evaluation import DEFAULT_DEPTH, Evaluation, Summary, evaluate
from imgsearch.evaluation.queries import read_queries
from imgsearch.search import DEFAULT_METADATA_WEIGHT

EXIT_SOME_LINES_UNUSABLE = 2
COLUMNS = (
    ("queries", "queries"),
    ("R@1", "recall_at_1"),
    ("R@5", "recall_at_5"),
    ("R@10", "recall_at_10"),
    ("MRR", "mrr"),
    ("nDCG@10", "ndcg_at_10"),
    ("mAP", "map"),
    ("P@cut", "precision_at_cut"),
    ("R@cut", "recall_at_cut"),
    ("no match", "no_match"),
    ("none kept", "no_match_empty"),
    ("AUC cos", "auc_cosine"),
    ("AUC conf", "auc_confidence"),
    ("ECE", "ece"),
)


def evaluate_command(
    queries: Path = typer.Argument(..., help="Labelled queries, one JSON object per line."),
    cut: float = typer.Option(
        AUTO_CONFIDENCE,
        "--min-confidence",
        min=0.0001,
        max=0.9999,
        help="The cut-off whose precision and recall are reported.",
    ),
    depth: int = typer.Option(
        DEFAULT_DEPTH,
        "--depth",
        min=1,
        help="Hits judged per query; images past them count as ranked below all hits.",
    ),
    metadata_weight: float = typer.Option(
        DEFAULT_METADATA_WEIGHT,
        "--metadata-weight",
        min=0.0,
        max=1.0,
        help="Weight of the metadata score in the relevance (as in search).",
    ),
    diagram: Path | None = typer.Option(
        None, "--diagram", help="Write the reliability diagram here (an .svg file)."
    ),
    fit_calibration: bool = typer.Option(
        False,
        "--fit-calibration",
        help="Refit the confidence calibration from these labels and store it with the index "
        "(then measure it with another query file).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    index_path: str | None = IndexOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Measure retrieval (Recall@k, MRR, nDCG, mAP) and confidence (precision/recall at the
    cut-off, ROC-AUC, calibration error) on labelled queries."""
    if diagram is not None and diagram.suffix.lower() != ".svg":
        raise InvalidSettings(
            f"--diagram {diagram} is not an .svg file", hint="write e.g. --diagram reliability.svg"
        )
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    total = len(read_queries(queries).queries)
    with open_index(index_path, None, precision) as opened, Progress(
        TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as progress:  # fmt: skip
        task = progress.add_task("queries", total=total)
        result = evaluate(
            opened, queries, depth=depth, cut=cut, metadata_weight=metadata_weight,
            fit=fit_calibration, on_query=lambda _: progress.advance(task),
        )  # fmt: skip
    if diagram is not None:
        diagram.write_text(result.diagram(), "utf-8")
    for problem in result.problems:
        err.print(f"line {problem.line}: {problem.message}", markup=False)
    if as_json:
        json.dump(result.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(result, diagram)
    if result.problems:
        err.print(
            f"{len(result.problems)} line(s) of {queries} could not be used (above); "
            "the numbers are for the others",
            markup=False,
        )
        raise typer.Exit(EXIT_SOME_LINES_UNUSABLE)


def _print(result: Evaluation, diagram: Path | None) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=1000)
    table = Table(box=None, pad_edge=False, title=f"{result.file} — {result.model_id}")
    table.add_column("kind", justify="left")
    for title, _ in COLUMNS:
        table.add_column(title, justify="right")
    rows = [("all", result.overall), *result.by_kind.items()]
    if result.fitted_overall is not None:
        rows.append(("all, refit", result.fitted_overall))
    for name, summary in rows:
        table.add_row(name, *(_cell(summary, key) for _, key in COLUMNS))
    console.print(table)
    used = result.calibration
    console.print(
        f"cut-off: confidence ≥ {result.cut}; calibration: slope {used.slope:.3g}, intercept "
        f"{used.intercept:.3g} ({used.fitted_on})",
        markup=False,
    )
    if result.fitted is not None:
        console.print(
            f"fitted and stored with the index: slope {result.fitted.slope:.3g}, intercept "
            f"{result.fitted.intercept:.3g}; its numbers above are on the queries it was fitted "
            "on — measure it with another query file",
            markup=False,
        )
    if diagram is not None:
        console.print(f"reliability diagram: {diagram}", markup=False)


def _cell(summary: Summary, key: str) -> str:
    value = getattr(summary, key)
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"
