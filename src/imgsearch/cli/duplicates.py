"""``imgsearch duplicates``: groups of exact and near-duplicate pictures in the index.

Only reports — it never deletes or moves a file. The first picture of each group is
the one to keep if one must be chosen (most pixels, then largest file, then oldest).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from imgsearch.cli.options import IndexOption, open_index
from imgsearch.cli.shown import counted, shown
from imgsearch.duplicates.report import MAX_GROUPS, DuplicateReport
from imgsearch.duplicates.score import DEFAULT_MIN_CONFIDENCE


def duplicates(
    index_path: str | None = IndexOption,
    under: list[Path] = typer.Option(
        [], "--under", help="Only pictures under this folder (repeatable)."
    ),
    min_confidence: float = typer.Option(
        DEFAULT_MIN_CONFIDENCE,
        "--min-confidence",
        min=0.0001,
        max=0.9999,
        help="Link two pictures when the confidence that one is a copy of the other reaches this.",
    ),
    limit: int = typer.Option(MAX_GROUPS, "--limit", min=1, help="Groups listed, largest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
) -> None:
    """Find copies: the same bytes, or resized, re-encoded, cropped, colour-adjusted or
    turned pictures. Only reports; nothing is deleted."""
    with open_index(index_path, None, None) as opened:
        roots = [str(folder.expanduser().resolve()) for folder in under]
        report = opened.duplicates(under=roots, min_confidence=min_confidence, limit=limit)
    if as_json:
        json.dump(report.to_dict(), sys.stdout)
        sys.stdout.write("\n")
        return
    _print(report)


def _print(report: DuplicateReport) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for number, group in enumerate(report.groups, 1):
        out.print(f"group {number}: {len(group.members)} {group.kind} copies", markup=False)
        for place, member in enumerate(group.members):
            size = f"{member.width}×{member.height}" if member.width else "?"
            when = datetime.fromtimestamp(member.sort_time).strftime("%Y-%m-%d %H:%M")
            keep = "keep?" if place == 0 else "     "
            out.print(
                shown(f"  {keep} {member.path}  {size}, {member.size / 1e3:.0f} kB, {when}"),
                markup=False,
            )
        for pair in group.pairs:
            layout = "–" if pair.layout is None else f"{pair.layout:.2f}"
            how = "same bytes" if pair.exact else f"cosine {pair.cosine:.3f}, layout {layout}"
            out.print(
                f"    {Path(pair.left).name} ~ {Path(pair.right).name}: "
                f"confidence {pair.confidence:.2f} ({how})",
                markup=False,
            )
    listed = "" if len(report.groups) == report.group_count else f" ({len(report.groups)} shown)"
    out.print(
        f"{counted(report.group_count, 'group')}{listed} ({report.exact_groups} of identical "
        f"files), {counted(report.duplicate_pictures, 'picture')} beyond the first of their "
        f"group; {counted(report.pictures, 'picture')} compared in {report.seconds:.1f} s at confidence ≥ "
        f"{report.min_confidence:g} ({report.calibration})",
        markup=False,
    )
    for note in report.notes:
        out.print(f"note: {note}", markup=False)
