"""``imgsearch browse``: the collection without a query — newest first (or oldest, or by
path) under the same filters as ``imgsearch search``, or with ``--facets`` how many items
each folder, month, tag, label and kind holds.

Output: a table on a terminal, ``--json`` (one object per item, or one object of counts)
or ``--paths`` (one path per line) for pipes.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgsearch.cli.filter_options import (
    AfterOption,
    BeforeOption,
    ContainsTextOption,
    FormatOption,
    MediaOption,
    MinHeightOption,
    MinRatingOption,
    MinWidthOption,
    NotTagOption,
    TagOption,
    UnderOption,
    filters_from,
)
from imgsearch.cli.options import IndexOption, open_index
from imgsearch.cli.shown import shown
from imgsearch.selection import item_as_dict
from imgsearch.store.browsing import MAX_PAGE, ORDERS, Facets, Listing


def browse(
    order: str = typer.Option(
        "newest", "--order", help=f"{', '.join(ORDERS)}: by the time taken, or by folder."
    ),
    top: int = typer.Option(50, "--top", "-n", min=1, max=MAX_PAGE, help="How many items."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many items (paging)."),
    under: list[Path] = UnderOption,
    after: str | None = AfterOption,
    before: str | None = BeforeOption,
    formats: list[str] = FormatOption,
    min_width: int | None = MinWidthOption,
    min_height: int | None = MinHeightOption,
    media: str = MediaOption,
    contains_text: list[str] = ContainsTextOption,
    tags: list[str] = TagOption,
    not_tags: list[str] = NotTagOption,
    min_rating: int | None = MinRatingOption,
    labels: list[str] = typer.Option(
        [], "--label", help="Only pictures with a box of this label; repeatable: any of them."
    ),
    facets: bool = typer.Option(
        False, "--facets", help="Count the items by folder, month, tag, label and kind instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one line per item)."),
    paths_only: bool = typer.Option(False, "--paths", help="Print only paths, one per line."),
    index_path: str | None = IndexOption,
) -> None:
    """List the collection without a query: newest first, or counted by folder, month, tag."""
    filters = filters_from(
        under=under,
        after=after,
        before=before,
        formats=formats,
        min_width=min_width,
        min_height=min_height,
        media=media,
        contains_text=contains_text,
        tags=tags,
        not_tags=not_tags,
        min_rating=min_rating,
    )
    with open_index(index_path, None, None) as opened:
        if facets:
            counted = opened.facets(filters, labels=labels)
        else:
            page = opened.browse(filters, labels=labels, order=order, limit=top, offset=offset)
    console = Console(highlight=False)
    if not console.is_terminal:  # a pipe or a file: whole lines, not folded at 80 columns
        console = Console(highlight=False, width=1000)
    if facets:
        if as_json:
            sys.stdout.write(json.dumps(counted.as_dict()) + "\n")
        else:
            _print_facets(console, counted)
    elif paths_only:
        terminal = sys.stdout.isatty()  # a pipe gets the exact bytes, as ls does
        sys.stdout.write("".join(f"{shown(r.path) if terminal else r.path}\n" for r in page.items))
    elif as_json:
        sys.stdout.write("".join(json.dumps(item_as_dict(r)) + "\n" for r in page.items))
    else:
        _print_items(console, page)


def _print_items(console: Console, page: Listing) -> None:
    if not page.items:
        console.print(f"no items (of {page.total:,} the filters allow)")
        return
    table = Table(box=None, pad_edge=False)
    for header in ("#", "taken", "size", "media"):
        table.add_column(header, no_wrap=True, justify="right" if header == "#" else "left")
    table.add_column("path", overflow="fold", min_width=24)
    for number, record in enumerate(page.items, start=page.offset + 1):
        taken = datetime.fromtimestamp(record.sort_time).strftime("%Y-%m-%d %H:%M")
        size = f"{record.width}×{record.height}" if record.width and record.height else ""
        cells = (str(number), taken, size, record.kind, shown(record.path))
        table.add_row(*(Text(cell) for cell in cells))  # collection strings: never markup
    console.print(table)
    last = page.offset + len(page.items)
    more = f"; --offset {last} for the next" if last < page.total else ""
    console.print(f"{page.offset + 1}–{last} of {page.total:,}, {page.order} first{more}")


def _print_facets(console: Console, facets: Facets) -> None:
    console.print(f"{facets.total:,} items")
    sections = [
        (f"folders in {shown(facets.base)}", [(shown(f), n) for f, n in facets.folders]),
        ("months", list(facets.months)),
        ("tags", [(shown(t), n) for t, n in facets.tags]),
        ("automatic tags", [(shown(t), n) for t, n in facets.auto_tags]),
        ("keywords", [(shown(t), n) for t, n in facets.keywords]),
        ("labels", [(shown(label), n) for label, n in facets.labels]),
        ("kinds", list(facets.kinds)),
    ]
    if facets.here and facets.folders:
        sections[0][1].append(("(directly in it)", facets.here))
    for title, counted in sections:
        if not counted:
            continue
        table = Table(box=None, pad_edge=False, title=title, title_justify="left")
        table.add_column("count", justify="right", no_wrap=True)
        table.add_column("value", overflow="fold")
        for value, count in counted:
            table.add_row(Text(f"{count:,}"), Text(value))
        console.print(table)
