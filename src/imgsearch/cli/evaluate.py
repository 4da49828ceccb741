"""``imgsearch evaluate QUERIES.jsonl``: how well the index answers labelled queries, and
how well its confidences are calibrated (see :mod:`imgsearch.evaluation`).

Unusable lines of the query file are listed on stderr with their numbers; the other
queries are still evaluated, and the exit code is then 2 so that scripts notice.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from imgsearch.cli.options import IndexOption, PrecisionOption, model_settings, open_index
from imgsearch.errors import InvalidSettings
from imgsearch.evaluation import DEFAULT_DEPTH, Evaluation, Summary, evaluate
from imgsearch.evaluation.compare import compare
from imgsearch.evaluation.queries import QueryFile, read_queries
from imgsearch.query.confidence import AUTO_CONFIDENCE
from imgsearch.query.expression import DEFAULT_METADATA_WEIGHT

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
    worst: int = typer.Option(
        0,
        "--worst",
        min=0,
        help="Also list the N queries that did worst (no-answer queries that kept hits "
        "first, then by average precision); --json always has every query.",
    ),
    models: list[str] = typer.Option(
        [],
        "--model",
        "-m",
        help="Compare models instead: each embeds the collection into an index of its own "
        "(under --work) and is evaluated on the same queries; repeatable.",
    ),
    folders: list[Path] = typer.Option(
        [],
        "--folder",
        help="With --model: the collection's folder (default: every folder the index's files are in).",
    ),
    work: Path | None = typer.Option(
        None, "--work", help="With --model: keep the models' indexes here (default: temporary)."
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
    labelled = read_queries(queries)  # read once: the progress bar's total and the runs
    options = {"depth": depth, "cut": cut, "metadata_weight": metadata_weight}
    if models:
        if fit_calibration or diagram is not None:
            raise InvalidSettings("--fit-calibration and --diagram evaluate one index, not --model")
        results = _compare(models, labelled, folders, work, index_path, precision, err, options)
        _finish(results, queries, as_json, None, err, worst)
        return
    with open_index(index_path, None, precision) as opened, Progress(
        TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as progress:  # fmt: skip
        task = progress.add_task("queries", total=len(labelled.queries))
        result = evaluate(
            opened, labelled, fit=fit_calibration, on_query=lambda _: progress.advance(task),
            **options,  # type: ignore[arg-type]
        )  # fmt: skip
    if diagram is not None:
        diagram.write_text(result.diagram(), "utf-8")
    _finish([(result.model_id, result)], queries, as_json, diagram, err, worst)


def _compare(
    models: list[str],
    queries: QueryFile,
    folders: list[Path],
    work: Path | None,
    index_path: str | None,
    precision: str | None,
    err: Console,
    options: dict[str, Any],
) -> list[tuple[str, Evaluation]]:
    """Each model's evaluation on the collection of the index (or ``folders``)."""
    settings = [model_settings(model, precision) for model in models]
    with ExitStack() as stack:
        base = None
        if not folders or index_path is not None:
            base = stack.enter_context(open_index(index_path, None, precision))
        if not folders and base is not None:  # every folder of it, not just the last run's
            folders = [Path(folder) for folder in base.collection_folders()]
        scratch = work or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        return compare(
            settings, queries, [str(f) for f in folders], scratch,
            base=base,
            on_model=lambda name: err.print(f"embedding and evaluating with {name} …", markup=False),
            **options,
        )  # fmt: skip


def _finish(
    results: list[tuple[str, Evaluation]],
    queries: Path,
    as_json: bool,
    diagram: Path | None,
    err: Console,
    worst: int = 0,
) -> None:
    problems = results[0][1].problems  # the same file: the same lines for every model
    for problem in problems:
        err.print(f"line {problem.line}: {problem.message}", markup=False)
    if as_json:
        document = results[0][1].as_dict() if len(results) == 1 else {
            "models": [{"model": name, **result.as_dict()} for name, result in results]
        }  # fmt: skip
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(results, diagram)
        for name, result in results if worst else ():
            _print_worst(name, result, worst)
    if problems:
        err.print(
            f"{len(problems)} line(s) of {queries} could not be used (above); "
            "the numbers are for the others",
            markup=False,
        )
        raise typer.Exit(EXIT_SOME_LINES_UNUSABLE)


def _print(results: list[tuple[str, Evaluation]], diagram: Path | None) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=1000)
    single = len(results) == 1
    first = results[0][1]
    title = f"{first.file} — {first.model_id}" if single else f"{first.file} — models compared"
    table = Table(box=None, pad_edge=False, title=Text(title))  # file names are not markup
    if not single:
        table.add_column("model", justify="left")
    table.add_column("kind", justify="left")
    for heading, _ in COLUMNS:
        table.add_column(heading, justify="right")
    for name, result in results:
        rows = [("all", result.overall), *result.by_kind.items()]
        if result.fitted_overall is not None:
            rows.append(("all, refit", result.fitted_overall))
        for kind, summary in rows:
            cells = [kind, *(_cell(summary, key) for _, key in COLUMNS)]
            table.add_row(*(cells if single else [Text(name), *cells]))
    console.print(table)
    console.print(_how_to_read(results[0][1]), markup=False)
    if not single:
        for name, result in results:
            used = result.calibration
            console.print(
                f"{name}: confidence calibration ({used.fitted_on}): {'; '.join(used.describe())}",
                markup=False,
            )
        return
    result = first
    used = result.calibration
    console.print(
        f"cut-off: confidence ≥ {result.cut}; calibration ({used.fitted_on}), logit = "
        f"{'; '.join(used.describe())}",
        markup=False,
    )
    if result.fitted is not None:
        console.print(
            f"fitted and stored with the index: {'; '.join(result.fitted.describe())}; its "
            "numbers above are on the queries it was fitted on — measure it with another "
            "query file",
            markup=False,
        )
    if diagram is not None:
        console.print(f"reliability diagram: {diagram}", markup=False)


def _how_to_read(result: Evaluation) -> str:
    """What the columns measure, with this file's own number of right answers per query:
    a query with 150 right answers can find at most 1 of them at rank 1 (R@1 ≤ 0.007)."""
    counts = sorted(q.relevant for q in result.queries if q.relevant)
    typical = counts[len(counts) // 2] if counts else 0
    bound = (
        f" (these queries have a median of {typical} right answers each: R@1 is at most "
        f"{1 / typical:.3f} for them, so MRR and mAP say more)"
        if typical > 1
        else ""
    )
    return (
        f"R@k: share of a query's right answers among its first k hits{bound}; MRR: 1 / rank "
        "of the first right hit; nDCG@10, mAP: the whole order; P@cut, R@cut: precision and "
        "recall of the hits the cut-off keeps; no match: queries with no right answer, none "
        "kept: the share of them that came back empty; AUC: how well cosine or confidence "
        "tells right hits from wrong; ECE: how far confidences are from the share of right "
        "hits. Object boxes change these figures: docs/relevance.md."
    )


def _print_worst(name: str, result: Evaluation, count: int) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=1000)
    table = Table(box=None, pad_edge=False, title=Text(f"{name}: the {count} worst queries"))
    for heading in ("line", "id", "kind", "relevant", "AP", "RR", "R@10", "kept", "right kept"):
        table.add_column(heading, justify="left" if heading in ("id", "kind") else "right")
    for q in sorted(result.queries, key=lambda q: q.badness)[:count]:
        values = (q.average_precision, q.reciprocal_rank, q.recall_at_10)
        table.add_row(
            str(q.line), Text(q.name), q.kind, str(q.relevant),
            *("–" if v is None else f"{v:.3f}" for v in values),
            "–" if q.kept is None else str(q.kept),
            "–" if q.right_kept is None else str(q.right_kept),
        )  # fmt: skip
    console.print(table)


def _cell(summary: Summary, key: str) -> str:
    value = getattr(summary, key)
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"
