"""The terminal table of search hits: every character of every cell, at any width.

Rich fits a table that is too wide by cropping its cells (``0.4…``, ``2026-12-07 15:…``)
and folding its last column down to a character or none — a path lost. This module
chooses the columns instead: numbers and dates keep their full width, the columns of
collection strings (path, matched box, text read) fold inside at least
:data:`MIN_FOLDED` cells, and when the terminal is too narrow for all of them the least
telling go first (:data:`DROPPED_FIRST`). Narrower still, each hit is printed as lines
of its own, its strings folded across the whole width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgsearch.cli.shown import shown
from imgsearch.query.expression import Hit, Hits
from imgsearch.query.hits import part_as_dict

MIN_FOLDED = 24
"""Cells a folded column (path, matched, text) keeps at least: below it, columns go."""
GAP = 2
"""Cells between two columns (Rich's padding of one on each side, none at the edges)."""
DROPPED_FIRST = ("taken", "size", "relevance", "cosine", "words in", "text", "matched")
"""The order in which columns give way when the terminal is too narrow: the path, the
rank and the confidence (is it a real match?) stay."""
FOLDED = {"matched": 24, "text": 30, "path": None}
"""Columns of collection strings, folded, and the most cells each may take (None: all)."""


@dataclass(frozen=True)
class _Column:
    header: str
    cells: list[str]

    @property
    def folded(self) -> bool:
        return self.header in FOLDED

    @cached_property  # measured once, not at every width tried
    def natural(self) -> int:
        """Cells the column takes unfolded: its widest cell or its header."""
        return max(Text(cell).cell_len for cell in [self.header, *self.cells])

    @property
    def least(self) -> int:
        """Cells the column needs: all of them, unless it folds."""
        return min(self.natural, MIN_FOLDED) if self.folded else self.natural


def print_hits(console: Console, hits: Hits) -> None:
    """The hits as a table that fits ``console``'s width, then what the confidences rest on."""
    if not hits:
        console.print("no matching images")
        judgement = hits.judgement
        if judgement.cut is not None and judgement.note:  # why the cut left nothing
            console.print(Text(f"note: {judgement.note}"))
        return
    columns = _columns(hits)
    fitting = _fitting(columns, console.width)
    if fitting is None:
        _print_stacked(console, columns)
    else:
        table = Table(box=None, pad_edge=False)
        for column in fitting:
            if column.folded:
                table.add_column(
                    column.header,
                    overflow="fold",
                    min_width=column.least,
                    max_width=FOLDED[column.header],
                )
            else:
                right = column.header not in ("words in",)
                table.add_column(
                    column.header,
                    justify="right" if right else "left",
                    no_wrap=True,
                    min_width=column.natural,
                )
        for row in zip(*(column.cells for column in fitting), strict=True):
            table.add_row(*(Text(cell) for cell in row))  # collection strings: never markup
        console.print(table)
    note = hits.judgement.note
    if any(hit.confidence is None for hit in hits):
        console.print(Text(f"confidence –: {note or 'not computed'}"))
    elif note:
        console.print(Text(f"note: {note}"))


def _columns(hits: Hits) -> list[_Column]:
    """Every column these hits have, in the order shown."""
    fields: list[tuple[str, Callable[[Hit], str]]] = [
        ("#", lambda hit: str(hit.rank)),
        ("relevance", lambda hit: f"{hit.relevance:.4f}"),
        ("cosine", lambda hit: f"{hit.cosine:.4f}"),
        ("confidence", lambda hit: "–" if hit.confidence is None else f"{hit.confidence:.2f}"),
        ("size", lambda hit: f"{hit.image.width}×{hit.image.height}"),
        ("taken", _taken),
    ]
    if any(hit.words_in for hit in hits):  # where the query's words were found
        fields.append(("words in", lambda hit: ", ".join(hit.words_in)))
    if any(hit.region is not None for hit in hits):
        fields.append(("matched", lambda hit: shown(_matched(hit))))
    if any(hit.text is not None for hit in hits):
        fields.append(("text", lambda hit: shown(hit.text.text if hit.text else "")))
    fields.append(("path", _path))
    return [_Column(header, [cell(hit) for hit in hits]) for header, cell in fields]


def _fitting(columns: list[_Column], width: int) -> list[_Column] | None:
    """The columns that fit ``width`` cells, dropping in :data:`DROPPED_FIRST` order;
    None when even the path, the rank and the confidence do not."""
    kept = list(columns)
    for header in (None, *DROPPED_FIRST):
        kept = [column for column in kept if column.header != header]
        if sum(column.least for column in kept) + GAP * (len(kept) - 1) <= width:
            return kept
    return None


def _print_stacked(console: Console, columns: list[_Column]) -> None:
    """Each hit as lines of its own: ``#1  confidence 0.93 …``, then each string folded."""
    for number in range(len(columns[0].cells)):
        facts = [
            f"{column.header} {column.cells[number]}"
            for column in columns[1:]
            if not column.folded and column.cells[number]
        ]
        console.print(Text("  ".join([f"#{columns[0].cells[number]}", *facts])), overflow="fold")
        for column in columns:
            if column.folded and column.cells[number]:
                console.print(Text(f"  {column.cells[number]}"), overflow="fold")


def _taken(hit: Hit) -> str:
    return datetime.fromtimestamp(hit.image.sort_time).strftime("%Y-%m-%d %H:%M")


def _matched(hit: Hit) -> str:
    """The region that matched, as a reader wants it: label, box (x,y w×h), source."""
    if hit.region is None:
        return "whole"
    region = hit.region.region
    if region.box is None and (part := part_as_dict(hit)) is not None:
        return str(part["label"])
    where = ""
    if region.box is not None:
        b = region.box
        where = f" @{b.x:.0f},{b.y:.0f},{b.w:.0f},{b.h:.0f}"
    return f"{region.label or region.source}{where}"


def _path(hit: Hit) -> str:
    """The hit's file, with the part that matched: a video's moments, a PDF's page."""
    path = shown(hit.image.path)
    if hit.segment is not None:
        return f"{path} @ {hit.segment.describe()}"
    part = part_as_dict(hit)
    return f"{path} {part['label']}" if part is not None else path
