"""The main job: index a folder of sample images and search it by text, image, region and mixes.

Uses $IMGSEARCH_MODEL, else the default catalog model (downloaded once from the
Hugging Face hub). Without network access and without a cached model it builds
an untrained stand-in of the real CLIP architecture through the project's own
exporter, and says so: its similarities carry no meaning, but every step
(decode, region crop, preprocessing, ONNX inference, tokenisation) is the real
one, including the index (SQLite + vector index) and the ranking.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from imgsearch import Box, Embedder, Index, QueryPart
from imgsearch.errors import ModelError
from imgsearch.search import Hit

ROOT = Path(__file__).resolve().parent.parent / ".demo"
COLOURS = {
    "red": (220, 30, 30),
    "blue": (30, 60, 220),
    "green": (30, 170, 60),
    "yellow": (240, 210, 20),
}
console = Console()


def sample_images(folder: Path) -> list[Path]:
    """Photos-to-be: each colour as a circle and a square, at three positions, JPEG and PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, colour) in enumerate(COLOURS.items()):
        for shape in ("circle", "square"):
            for j, left in enumerate((60, 200, 340)):
                path = folder / shape / f"{name}-{shape}-{j}.{'jpg' if (i + j) % 2 else 'png'}"
                if not path.exists():
                    path.parent.mkdir(exist_ok=True)
                    image = Image.new("RGB", (640, 480), (235, 235, 230))
                    draw = ImageDraw.Draw(image)
                    box = (left, 120, left + 240, 360)
                    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=colour)
                    image.save(path)
                paths.append(path)
    return paths


def load_embedder() -> Embedder:
    wanted = os.environ.get("IMGSEARCH_MODEL") or "clip-vit-b-32"
    try:
        embedder = Embedder(wanted)
        embedder.embed_texts(["warm-up"])
        return embedder
    except ModelError as error:
        console.print(f"[yellow]model {wanted!r} unavailable:[/] {error}")
    stand_in = ROOT / "untrained-clip"
    if not (stand_in / "manifest.json").exists():
        from imgsearch.models.export import export_checkpoint
        from imgsearch.models.scaffold import build_clip_checkpoint

        console.print("building an untrained stand-in CLIP model with the project's exporter …")
        checkpoint = build_clip_checkpoint(ROOT / "untrained-clip-checkpoint")
        export_checkpoint(checkpoint, stand_in, model_id="untrained-stand-in")
    console.print(
        "[bold yellow]note:[/] using an UNTRAINED stand-in model: the pipeline is real, "
        "the similarity numbers are not meaningful."
    )
    return Embedder(stand_in)


def show(title: str, hits: list[Hit]) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("#", "relevance", "cosine", "image"):
        table.add_column(column, justify="left" if column == "image" else "right")
    for hit in hits:
        table.add_row(
            str(hit.rank), f"{hit.relevance:.4f}", f"{hit.cosine:.4f}", Path(hit.image.path).name
        )
    console.print(table)


def main() -> int:
    images = sample_images(ROOT / "images")
    embedder = load_embedder()
    console.print(
        f"model [bold]{embedder.model_id}[/]: {embedder.dim}-d vectors, {embedder.precision}"
    )
    with Index.open(ROOT / "index", embedder=embedder) as index:
        report = index.update([ROOT / "images"])
        counts = report.counts
        console.print(
            f"indexed {len(images)} images into {index.store.location}: "
            f"{counts['added']} added, {counts['unchanged']} unchanged, "
            f"model ran on {report.embedded}"
        )
        show('text: "a red circle"', index.search("a red circle", top=5))
        example = ROOT / "images" / "square" / "blue-square-1.png"
        show(f"image: {example.name}", index.search([QueryPart(image=str(example))], top=5))
        region = QueryPart(image=str(images[0]), box=Box(60, 120, 240, 240))
        show(f"region 60,120,240,240 of {images[0].name}", index.search([region], top=5))
        show(
            'mixed: "a yellow shape" + green-circle-0.png - "square"',
            index.search(
                [
                    QueryPart(text="a yellow shape"),
                    QueryPart(image=str(ROOT / "images" / "circle" / "green-circle-0.png")),
                    QueryPart(text="square", weight=-1),
                ],
                top=5,
            ),
        )
    console.print(
        "\nOn your own photos with a real model (needs network once):\n"
        "  imgsearch index ~/Pictures --model clip-vit-b-32\n"
        '  imgsearch search "a dog on a beach"\n'
        "  imgsearch search --image ~/Pictures/dog.jpg --box 120,80,300,200\n"
        "  imgsearch status --errors"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
