"""``imgsearch classify``: what one picture shows, as the index's tags would say — every
phrase of its vocabulary (or the labels given) with the confidence a search for it would
give the picture if it were in the collection (see :mod:`imgsearch.tags`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgsearch.cli.options import IndexOption, ModelOption, PrecisionOption, open_index
from imgsearch.cli.shown import shown


def classify(
    image: Path = typer.Argument(..., help="The picture (need not be indexed)."),
    labels: list[str] = typer.Option(
        [], "--label", "-l", help="A phrase to judge instead of the vocabulary's; repeatable."
    ),
    every: bool = typer.Option(
        False, "--all", help="Every phrase, not only those that clear the tag threshold."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """What one picture shows: the index's tag phrases (or --label ones) with confidences.

    Most confident first: the tags IMAGE would get were it in the index, whose collection
    says what "no match" looks like."""
    with open_index(index_path, model, precision) as opened:
        vector = opened.images.embed_images([image])
        judged = opened.classify(vector, labels or None)[0]
        threshold = opened.tag_vocabulary().threshold
    if not judged:
        Console(stderr=True).print(
            "too few pictures in the index to judge what a match is (under 32)", markup=False
        )
        raise typer.Exit(1)
    shown_tags = judged if every else [(t, c) for t, c in judged if c >= threshold]
    if as_json:
        listed = [{"name": t, "confidence": c} for t, c in shown_tags]
        sys.stdout.write(json.dumps({"image": str(image), "tags": listed}) + "\n")
        return
    console = Console(highlight=False)
    if not shown_tags:
        console.print(f"no phrase reaches confidence {threshold:g} (--all lists every one)")
        return
    table = Table(box=None, pad_edge=False)
    table.add_column("confidence", justify="right", no_wrap=True)
    table.add_column("tag", overflow="fold")
    for tag, confidence in shown_tags:
        table.add_row(f"{confidence:.3f}", Text(shown(tag)))
    console.print(table)
