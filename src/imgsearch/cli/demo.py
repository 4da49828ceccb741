"""``imgsearch demo …``: the offline demo, the shapes generator, training and evaluating.

``imgsearch demo`` generates a collection of shape images (or reuses it),
indexes it with the shipped ``demo-shapes`` model through the normal indexer,
and runs text, image, region and combined queries, marking each hit right or
wrong from the collection's labels. Nothing needs the network.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from imgsearch.cli.index import IndexProgress, print_summary
from imgsearch.cli.program import program
from imgsearch.cli.shown import counted
from imgsearch.config import default_data_dir
from imgsearch.demo.collection import Collection, generate_collection, load_collection
from imgsearch.demo.queries import EVALUATE, write_query_files
from imgsearch.demo.showcase import demo_queries
from imgsearch.errors import ModelMismatch
from imgsearch.index import Index

DEMO_MODEL = "demo-shapes"
DEFAULT_COUNT = 3000

app = typer.Typer(
    help="The offline demo: generated shape images, searched with the shipped demo-shapes model.",
    invoke_without_command=True,
)


@app.callback()
def demo(
    context: typer.Context,
    folder: Path | None = typer.Option(
        None,
        "--dir",
        help="Where the collection and its index go. Default: ~/.local/share/imgsearch/demo.",
    ),
    count: int = typer.Option(DEFAULT_COUNT, "--count", min=1, help="Images to generate."),
    seed: int = typer.Option(0, "--seed", help="Seed of the generated collection."),
    model: str = typer.Option(DEMO_MODEL, "--model", "-m", help="Model to index and search with."),
    top: int = typer.Option(10, "--top", min=1, help="Hits to show per query."),
) -> None:
    """Generate shape images, index them with the demo model, and search them."""
    if context.invoked_subcommand is not None:
        return
    console = Console(highlight=False)
    root = (folder or default_data_dir(os.environ) / "demo").expanduser().resolve()
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    index_path = root / _index_name(model)
    with Index.open(index_path, model=model, create=True) as index:
        _ = index.encoder  # a model that cannot be loaded fails now, before the collection
        collection = _generate(console, root / "collection", count, seed)
        # The demo owns this index: one made by another model (an older imgsearch's demo)
        # is embedded again rather than refused.
        try:
            with IndexProgress(err, quiet=False) as progress:
                report = index.update([collection.root], on_event=progress)
        except ModelMismatch as mismatch:
            err.print(f"{mismatch.message}: embedding the demo collection again with {model}")
            with IndexProgress(err, quiet=False) as progress:
                report = index.update([collection.root], on_event=progress, reembed=True)
        print_summary(err, report, index.location)
        labels = collection.by_path()
        me = program()
        right = total = 0
        for query in demo_queries(collection):
            hits = index.search(list(query.parts), top=top)
            # runs as shown: it names this index, and this imgsearch
            command = f"{me} {query.arguments} --index {shlex.quote(str(index_path))}"
            table = Table(
                title=escape(query.title),
                title_justify="left",
                caption=f"right = the image shows {query.wanted} (from the collection's labels)",
                caption_justify="left",
            )
            numbers = ("#", "relevance", "cosine", "confidence")
            for column in (*numbers, "right", "image", "labels"):
                # folded, never cut: a file name shown whole at any width
                table.add_column(
                    column, justify="right" if column in numbers else "left", overflow="fold"
                )
            for hit in hits:
                image = labels.get(hit.image.path)
                ok = image is not None and query.is_right(image)
                right += ok
                total += 1
                table.add_row(
                    str(hit.rank),
                    f"{hit.relevance:.3f}",
                    f"{hit.cosine:.3f}",
                    "–" if hit.confidence is None else f"{hit.confidence:.2f}",
                    "[green]yes[/]" if ok else "[red]no[/]",
                    Text(Path(hit.image.path).name),
                    Text(", ".join(o.name for o in image.objects) if image else "?"),
                )
            console.print(table)
            # on a line of its own, never folded: copied, it runs as shown
            console.print(f"  $ {command}\n", soft_wrap=True, markup=False, style="dim")
    console.print(f"\n{right} of {total} hits shown are right.")
    console.print(
        "\nThe same on your own photos with a real CLIP model (downloaded once from the Hugging Face hub):\n"
        f"  {me} index ~/Pictures --model clip-vit-b-32\n"
        f'  {me} search "a dog on a beach"\n'
        f"  {me} search --image ~/Pictures/dog.jpg --box 120,80,300,200\n"
        f"Search this demo's index yourself: {me} search --index "
        f'{shlex.quote(str(index_path))} "yellow star"\n'
        "Measure it on labelled queries (Recall@k, mAP, how well its confidences hold):\n"
        f"  {me} evaluate {shlex.quote(str(collection.root / EVALUATE))}"
        f" --index {shlex.quote(str(index_path))}\n"
        "Look at it in your browser (then open the address it prints):\n"
        f"  {me} serve --index {shlex.quote(str(index_path))}"
        f" --root {shlex.quote(str(collection.root))}" + _path_hint(me),
        soft_wrap=True,  # commands stay on one line, to be copied
        markup=False,
    )


def _path_hint(me: str) -> str:
    """How to type ``imgsearch`` when this one is not on the PATH (``make demo`` does not
    activate its virtual environment)."""
    if me == "imgsearch":
        return ""
    activate = Path(sys.argv[0]).resolve().parent / "activate"
    how = f"source {shlex.quote(str(activate))}" if activate.is_file() else "put its folder on PATH"
    return f"\n(imgsearch is {me} here; to type just imgsearch: {how})"


def _index_name(model: str) -> str:
    """One index per model, so trying another model never meets a model-mismatch error."""
    if model == DEMO_MODEL:
        return "index"
    return "index-" + re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")


def _generate(
    console: Console,
    out: Path,
    count: int,
    seed: int,
    mode: str = "shapes",
    leave_out: Sequence[str] = (),
) -> Collection:
    with Progress(
        TextColumn("generating"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("generate", total=count)
        collection = generate_collection(
            out, count, seed, mode=mode, leave_out=leave_out,
            on_image=lambda _: progress.advance(task),
        )  # fmt: skip
    evaluate, fit = write_query_files(collection)
    console.print(
        f"collection: {counted(len(collection.images), 'image')} with labels in "
        f"{collection.root}; "
        f"labelled queries for imgsearch evaluate: {evaluate.name}, {fit.name}",
        markup=False,
    )
    return collection


@app.command("generate")
def generate(
    out: Path = typer.Argument(..., help="Folder to write images/ and annotations.json into."),
    count: int = typer.Option(DEFAULT_COUNT, "--count", min=1, help="Number of images."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same images."),
    mode: str = typer.Option(
        "shapes",
        "--mode",
        help="shapes: 1-3 large objects per image; scenes: 3-8 mostly small objects in "
        "clutter (for the object-level index).",
    ),
    leave_out: list[str] = typer.Option(
        [],
        "--leave-out",
        help="What no image shows: a colour + shape ('red circle'), a colour ('purple') or a "
        "shape ('star'); repeatable. Its queries should then find nothing.",
    ),
) -> None:
    """Write a labelled collection of shape images (JPEG and PNG, COCO-style annotations.json)
    and labelled query files for `imgsearch evaluate` (queries.jsonl, queries-fit.jsonl)."""
    console = Console(highlight=False)
    _generate(console, out, count, seed, mode, leave_out)


@app.command("videos")
def videos(
    out: Path = typer.Argument(..., help="Folder to write the videos and moments.json into."),
    count: int = typer.Option(30, "--count", min=1, help="Number of videos."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same videos."),
) -> None:
    """Write short videos of shapes entering and leaving at known times (needs the video
    extra), with moments.json saying when each is on screen: index them, then search."""
    from imgsearch.demo.moments import TARGETS, generate_videos, write_truth

    console = Console(highlight=False)
    made = generate_videos(out, count, seed=seed, k=0)
    write_truth(out / "moments.json", made)
    console.print(f"{len(made)} videos and their moments.json in {out}", markup=False)
    me, index = program(), shlex.quote(str(out / "index"))
    console.print(
        f"try: {me} index {shlex.quote(str(out))} --model demo-shapes --index {index}\n"
        f'     {me} search "{TARGETS[3]}" --media video --index {index}',
        markup=False,
        soft_wrap=True,
    )


@app.command("train")
def train(
    out: Path = typer.Argument(Path("demo-shapes"), help="Model folder to write."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same model (on the same machine)."),
    steps: int = typer.Option(1800, "--steps", min=1, help="Training steps."),
    scenes: int = typer.Option(8000, "--scenes", min=16, help="Distinct training scenes."),
    batch_size: int = typer.Option(128, "--batch-size", min=4, help="Pairs per step."),
    eval_images: int = typer.Option(
        1500, "--eval-images", min=20, help="Held-out images to evaluate on."
    ),
    hard_negatives: float = typer.Option(
        0.0,
        "--hard-negatives",
        min=0.0,
        max=1.0,
        help="Share of batch rows that add a text with one attribute bound wrongly.",
    ),
) -> None:
    """Train the demo model (needs the export extra), export it, evaluate it on held-out images."""
    from imgsearch.demo.train import TrainConfig
    from imgsearch.demo.train import train as run_training

    console = Console(stderr=True, highlight=False)
    config = TrainConfig(
        seed=seed,
        steps=steps,
        scenes=scenes,
        batch_size=batch_size,
        eval_images=eval_images,
        hard_negatives=hard_negatives,
    )
    result = run_training(out, config, progress=console.print)
    json.dump({"model": str(result.out), **result.evaluation.to_dict()}, sys.stdout, indent=2)
    sys.stdout.write("\n")


@app.command("evaluate")
def evaluate(
    collection: Path = typer.Argument(..., help="A folder written by `imgsearch demo generate`."),
    model: str = typer.Option(DEMO_MODEL, "--model", "-m", help="Any model imgsearch can load."),
    k: int = typer.Option(10, "--k", min=1, help="Precision at k."),
) -> None:
    """Measure text, image and region precision@k of a model on a labelled collection."""
    from imgsearch.demo.evaluate import evaluate as measure
    from imgsearch.models.embedder import Embedder

    result = measure(Embedder(model), load_collection(collection), k=k)
    json.dump(result.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
