"""The main job as it stands today: vectorize sample images, a region and texts, and compare them.

Uses $IMGSEARCH_MODEL, else the default catalog model (downloaded once from the
Hugging Face hub). Without network access and without a cached model it builds
an untrained stand-in of the real CLIP architecture through the project's own
exporter, and says so: its similarities carry no meaning, but every step
(decode, region crop, preprocessing, ONNX inference, tokenisation) is the real
one. Indexing and search arrive with the next milestones.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from imgsearch import Box, Embedder
from imgsearch.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent / ".demo"
COLOURS = {
    "red": (220, 30, 30),
    "blue": (30, 60, 220),
    "green": (30, 170, 60),
    "yellow": (240, 210, 20),
}
console = Console()


def sample_images(folder: Path) -> list[Path]:
    """Four photos-to-be: one coloured shape each on a light background, as JPEG and PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, colour) in enumerate(COLOURS.items()):
        image = Image.new("RGB", (640, 480), (235, 235, 230))
        draw = ImageDraw.Draw(image)
        if i % 2 == 0:
            draw.ellipse((200, 120, 440, 360), fill=colour)
        else:
            draw.rectangle((200, 120, 440, 360), fill=colour)
        path = folder / f"{name}-{'circle' if i % 2 == 0 else 'square'}.{'jpg' if i < 2 else 'png'}"
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


def main() -> int:
    images = sample_images(ROOT / "images")
    embedder = load_embedder()
    texts = [f"a {name} {'circle' if i % 2 == 0 else 'square'}" for i, name in enumerate(COLOURS)]
    image_vectors = embedder.embed_images(images)
    region = embedder.embed_images([images[0]], [Box(200, 120, 240, 240)])
    text_vectors = embedder.embed_texts(texts)
    console.print(
        f"model [bold]{embedder.model_id}[/]: {embedder.dim}-d vectors, {embedder.precision}"
    )

    table = Table(title="cosine similarity: text queries (rows) × images (columns)")
    table.add_column("query")
    for path in images:
        table.add_column(path.name, justify="right")
    for text, row in zip(texts, text_vectors @ image_vectors.T, strict=True):
        best = int(np.argmax(row))
        table.add_row(
            text, *[f"[bold]{v:.3f}[/]" if j == best else f"{v:.3f}" for j, v in enumerate(row)]
        )
    console.print(table)
    similarity = float((region @ image_vectors[0])[0])
    console.print(
        f"region 200,120,240,240 of {images[0].name} vs the whole image: cosine {similarity:.3f}"
    )
    console.print(
        "\nOn your own photos with a real model (needs network once):\n"
        "  imgsearch vectorize --image ~/Pictures/dog.jpg --model clip-vit-b-32\n"
        '  imgsearch vectorize --text "a dog on a beach"\n'
        "  imgsearch models list"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
