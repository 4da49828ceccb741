"""``imgsearch status`` and ``imgsearch annotate``: what an index holds, and adding captions."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime

import typer
from rich.console import Console

from imgsearch.cli.items import item_ids
from imgsearch.cli.options import IndexOption, open_index
from imgsearch.cli.resident.address import answers, index_key, socket_path
from imgsearch.cli.shown import shown
from imgsearch.errors import InvalidQuery
from imgsearch.regions.policy import RegionPolicy


def status(
    index_path: str | None = IndexOption,
    errors: bool = typer.Option(
        False, "--errors", help="List the files that could not be indexed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show image counts, model, size on disk and the last run of the index."""
    daemon = resident_socket(index_path)
    with open_index(index_path, None, None) as opened:
        overview = opened.overview(text_warnings=1000 if errors else 0)
        failures = opened.failures() if errors else []
    stats, text, location = overview.stats, overview.text, overview.location
    policy, calibration = overview.region_policy, overview.calibration
    unread, reads = text.warnings, text.on_runs
    read, with_text, warned = text.counts.read, text.counts.with_text, text.counts.warnings
    run = stats.last_run
    if as_json:  # the fields GET /v1/status answers, and this command's own
        payload: dict[str, object] = {**overview.as_dict(), "daemon": daemon}
        if errors:
            payload["errors"] = [
                {"path": f.path, "code": f.code, "message": f.message} for f in failures
            ]
            payload["text_warnings"] = [{"path": p, "message": m} for p, m in unread]
        json.dump(payload, sys.stdout)
        sys.stdout.write("\n")
        return
    out = Console(highlight=False, soft_wrap=True)
    model = f"{stats.settings.model_id} ({stats.settings.dim}-d)" if stats.settings else "none yet"
    out.print(f"index      {location}", markup=False)
    out.print(f"model      {model}", markup=False)
    kinds = ", ".join(f"{count} {kind}" for kind, count in stats.kinds.items())
    out.print(
        f"images     {stats.images} ({kinds or 'none'}; {stats.vectors} with "
        f"vectors, search: {stats.vector_index})"
    )
    out.print(
        f"regions    {stats.regions} (with video frames, PDF pages); kept up: {_describe(policy)}",
        markup=False,
    )
    out.print(
        f"text       read in {read} pictures ({with_text} show some"
        + (f", {warned} could not be read" if warned else "")
        + ("); every run reads new pictures" if reads else "); not read on runs (index --ocr)"),
        markup=False,
    )
    if calibration is not None:
        out.print(f"confidence {calibration.fitted_on}", markup=False)
        for line in calibration.describe():
            out.print(f"           logit {line}", markup=False)
    out.print(
        f"daemon     answering searches at {daemon}"
        if daemon
        else "daemon     none (`imgsearch daemon` keeps this index loaded for searches)",
        markup=False,
    )
    out.print(f"failures   {stats.failures}")
    out.print(f"size       {stats.bytes_on_disk / 1e6:.1f} MB")
    if run is not None:
        when = datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M")
        state = (
            "completed" if run.completed else "running now" if overview.running else "interrupted"
        )
        out.print(
            f"last run   {when}, {state}: added {run.added}, updated {run.updated}, "
            f"moved {run.moved}, removed {run.removed}, failed {run.failed}",
            markup=False,
        )
    for failure in failures:
        out.print(shown(f"{failure.path}: {failure.code}: {failure.message}"), markup=False)
    for path, why in unread:
        out.print(shown(f"{path}: text not read (indexed all the same): {why}"), markup=False)


def resident_socket(index_path: str | None) -> str | None:
    """Where a daemon answers searches of this index, if one does."""
    path = socket_path(index_key(index_path, os.environ), os.environ)
    return str(path) if answers(path) else None


def _describe(policy: RegionPolicy) -> str:
    """What the index adds after every run, in a few words."""
    kept = []
    if policy.grid is not None:
        kept.append(f"grid levels {','.join(map(str, policy.grid.levels))}")
    if policy.detector is not None:
        kept.append(f"detector {policy.detector.path}")
    return "; ".join(kept) or "nothing (annotations only when imported)"


def annotate(
    images: list[str] = typer.Argument(
        ..., help="Indexed images: paths or ids; - reads more from standard input, one per line."
    ),
    caption: str | None = typer.Option(
        None, "--caption", help="A caption to search by (replaces the image's caption)."
    ),
    tags: list[str] = typer.Option([], "--tag", help="A tag to add; repeatable."),
    untags: list[str] = typer.Option([], "--untag", help="A tag to remove; repeatable."),
    replace: bool = typer.Option(
        False, "--replace", help="The given tags replace the image's tags instead of joining them."
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove the caption and every tag."),
    index_path: str | None = IndexOption,
) -> None:
    """Add a caption and tags to indexed images; the metadata score searches them."""
    if clear and (caption is not None or tags or untags or replace):
        raise InvalidQuery(
            "--clear removes everything: it takes no --caption, --tag, --untag or --replace"
        )
    if not clear and caption is None and not tags and not untags and not replace:
        raise InvalidQuery(
            "nothing to add",
            hint="give --caption TEXT, --tag TAG or --untag TAG (repeatable); --clear removes all",
        )
    if set(tags) & set(untags):
        raise InvalidQuery("a tag cannot be added and removed at once")
    with open_index(index_path, None, None) as opened:
        for image_id in item_ids(opened, images):
            old = opened.get(image_id)
            if clear:
                new_caption, new_tags = None, []
            else:
                new_caption = old.caption if caption is None else caption
                joined = tags if replace else list(dict.fromkeys([*old.tags, *tags]))
                new_tags = [tag for tag in joined if tag not in untags]
            record = opened.annotate(old.id, caption=new_caption, tags=new_tags)
            print(
                shown(
                    f"{record.id} {record.path}: caption={record.caption!r} tags={list(record.tags)}"
                )
            )
