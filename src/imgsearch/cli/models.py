"""``imgsearch models …``: the catalog, exporting checkpoints, verifying model folders."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from imgsearch.config import hub_offline
from imgsearch.models.catalog import DEFAULT_MODEL, catalog
from imgsearch.models.layout import verify_checksums
from imgsearch.models.resolve import resolve_model, split_precision

app = typer.Typer(help="List, export and verify models.", no_args_is_help=True)


AVAILABLE = {
    "bundled": "ships inside imgsearch",
    "cached": "downloaded: works offline",
    "download": "downloaded on first use",
}


@app.command("list")
def list_models(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    long: bool = typer.Option(False, "--long", "-l", help="Add each model's notes."),
) -> None:
    """Show the models imgsearch knows by name, and which work offline here."""
    from imgsearch.models.resolve import availability

    entries = catalog()
    found = {spec.name: availability(spec) for spec in entries}
    if as_json:
        listed = [{**asdict(spec), "available": found[spec.name]} for spec in entries]
        json.dump(listed, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("name", "dim", "input", "reads", "here"):
        table.add_column(column, overflow="fold", justify="right" if column == "dim" else "left")
    if long:
        table.add_column("notes", overflow="fold", ratio=1)
    for spec in entries:
        name = f"{spec.name} (default)" if spec.name == DEFAULT_MODEL else spec.name
        row = [
            name,
            str(spec.dim),
            f"{spec.image_size}px",
            spec.languages,
            AVAILABLE[found[spec.name]],
        ]
        table.add_row(*row, *((spec.notes,) if long else ()))
    console = Console(highlight=False)
    console.print(table)
    console.print(
        "Append :int8 to a name for the quantised variant; a Hugging Face repo id or a model "
        "folder works too. Notes: --long; licences and sources: --json.",
        markup=False,
    )


@app.command("export")
def export(
    source: str = typer.Argument(
        ..., help="transformers CLIP/SigLIP checkpoint: hub id or local folder."
    ),
    out: Path = typer.Argument(..., help="Folder to write the imgsearch model into."),
    model_id: str | None = typer.Option(
        None, "--id", help="Model id stored with vectors (default: source)."
    ),
    int8: bool = typer.Option(False, "--int8", help="Also write int8-quantised graphs."),
    opset: int = typer.Option(18, "--opset", help="ONNX opset version."),
) -> None:
    """Convert a checkpoint to ONNX, verify it against torch, and write a manifest."""
    from imgsearch.models.export import export_checkpoint

    report = export_checkpoint(source, out, model_id=model_id, int8=int8, opset=opset)
    print(
        f"exported {report.model_id} (dim {report.dim}) to {report.out}; "
        f"max |diff| vs torch: vision {report.vision_max_diff:.1e}, text {report.text_max_diff:.1e}"
    )


@app.command("verify")
def verify(
    model: str = typer.Argument(..., help="Catalog name, hub repo id or local folder."),
) -> None:
    """Check that a model is complete and its files match their manifest checksums."""
    ref, precision = split_precision(model, None)
    files = resolve_model(ref, precision=precision, offline=hub_offline(os.environ))
    verify_checksums(files)
    checked = len(files.manifest.get("files", {}))
    detail = f"{checked} files match their checksums" if checked else "no checksums in this layout"
    print(f"{files.model_id}: {files.layout} layout at {files.root}; {detail}")
