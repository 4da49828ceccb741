"""``imgsearch export``: many indexed items written out — a CSV table, JSON lines, or a
COCO subset of the pictures with their labelled boxes — and with ``--zip`` the files
themselves beside that document, named relative to the folder that holds them all (a
dataset to hand on: ``imgsearch search "bus" --paths | imgsearch export - --format coco
--zip buses.zip``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import typer

from imgsearch.cli.items import item_ids
from imgsearch.cli.options import IndexOption, open_index
from imgsearch.cli.shown import shown
from imgsearch.errors import InvalidQuery
from imgsearch.selection import EXPORT_FORMATS, export_coco, export_csv, export_json_lines, select
from imgsearch.selection.archive import zip_chunks
from imgsearch.store import ImageRecord

SUFFIXES = {"csv": "csv", "json": "jsonl", "coco": "coco.json"}


def export(
    items: list[str] = typer.Argument(
        ..., help="Indexed items: paths or ids; - reads more from standard input, one per line."
    ),
    format_: str = typer.Option(
        "csv", "--format", help=f"{', '.join(EXPORT_FORMATS)}: a table, JSON lines, or COCO."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the document here (default: standard output)."
    ),
    archive: Path | None = typer.Option(
        None, "--zip", help="Write a zip of the files, with the document inside, here."
    ),
    index_path: str | None = IndexOption,
) -> None:
    """Export indexed items: CSV, JSON lines or a COCO subset, and their files as a zip."""
    if format_ not in EXPORT_FORMATS:
        raise InvalidQuery(f"--format {format_!r} is not {', '.join(EXPORT_FORMATS)}")
    with open_index(index_path, None, None) as opened:
        selection = select(opened, item_ids(opened, items))
        if format_ == "csv":
            document = export_csv(selection)
        elif format_ == "json":
            document = export_json_lines(selection)
        else:
            document = json.dumps(export_coco(opened, selection), ensure_ascii=False, indent=1)
    if archive is not None:
        missing = _write_zip(archive, selection.records, selection.name, document, format_)
        print(shown(f"{len(selection.records) - missing} files → {archive}"), file=sys.stderr)
    if output is not None:
        output.write_text(document, encoding="utf-8")
    elif archive is None:
        sys.stdout.write(document)


def _write_zip(
    archive: Path,
    records: list[ImageRecord],
    name: Callable[[ImageRecord], str],
    document: str,
    format_: str,
) -> int:
    """The files and the document in one zip; how many files could not be read."""
    missing = 0

    def opening(record: ImageRecord) -> BinaryIO | None:
        nonlocal missing
        try:
            return Path(record.path).open("rb")  # closed by the writer
        except OSError:
            missing += 1
            return None

    entries = [(name(record), record) for record in records]
    extra = {f"imgsearch-selection.{SUFFIXES[format_]}": document}
    written = archive.with_name(archive.name + ".part")
    with written.open("wb") as out:
        for chunk in zip_chunks(entries, opening, extra):
            out.write(chunk)
    written.replace(archive)  # whole or not at all
    return missing
