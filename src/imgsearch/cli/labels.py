"""``imgsearch labels``: the label set of the annotated regions, and the boxes whose label
the model disagrees with (see :mod:`imgsearch.regions.label_suspects`)."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgsearch.cli.options import IndexOption, ModelOption, PrecisionOption, open_index
from imgsearch.regions.label_suspects import DEFAULT_PROMPT

app = typer.Typer(help="Check the labels of annotated boxes.", no_args_is_help=True)


@app.command("suspects")
def suspects(
    top: int = typer.Option(50, "--top", "-n", min=1, max=100_000, help="How many suspects."),
    prompt: str = typer.Option(
        DEFAULT_PROMPT, "--prompt", help="How a label is written for the model ({} = the label)."
    ),
    source: str = typer.Option(
        "annotation", "--source", help="Which regions: annotation, detector, grid or any."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print suspects as JSON lines."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Annotated boxes whose label the model disagrees with, likeliest mistakes first."""
    with open_index(index_path, model, precision) as opened:
        report = opened.label_suspects(
            limit=top, prompt=prompt, source=None if source == "any" else source
        )
    if as_json:
        sys.stdout.write("".join(json.dumps(s.as_dict()) + "\n" for s in report.suspects))
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(
        f"{report.checked} labelled boxes of {len(report.labels)} labels checked; the model "
        f"prefers another label for {report.disagreeing}",
        markup=False,
    )
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=1000)
    table = Table(box=None, pad_edge=False)
    for column in ("#", "margin", "given", "preferred", "region", "box"):
        table.add_column(column, justify="right" if column in ("#", "margin", "region") else "left")
    table.add_column("path", overflow="fold")
    for n, suspect in enumerate(report.suspects, start=1):
        box = suspect.region.region.box
        where = "" if box is None else f"{box.x:.0f},{box.y:.0f},{box.w:.0f},{box.h:.0f}"
        table.add_row(
            str(n), f"{suspect.margin:.4f}", Text(suspect.given), Text(suspect.preferred),
            str(suspect.region.id), where, Text(suspect.image.path),
        )  # fmt: skip
    console.print(table)
