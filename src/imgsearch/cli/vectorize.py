"""``imgsearch vectorize``: one image, region or text → a JSON vector (Azure's response shape)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from imgsearch.cli.options import (
    MaxPixelsOption,
    PrecisionOption,
    StandaloneModelOption,
    build_images,
)
from imgsearch.errors import InputError
from imgsearch.models.embedder import Embedder
from imgsearch.types import Box


def vectorize(
    image: Path | None = typer.Option(None, "--image", "-i", help="Image file to embed."),
    text: str | None = typer.Option(None, "--text", "-t", help="Text to embed."),
    box: str | None = typer.Option(
        None,
        "--box",
        help="Region x,y,w,h of the image: pixels (10,20,200,150) or fractions (0.1,0.2,0.5,0.5).",
    ),
    box_padding: float = typer.Option(
        0.0,
        "--box-padding",
        help="Widen the box by this fraction of its size on each side, for context.",
    ),
    model: str | None = StandaloneModelOption,
    precision: str | None = PrecisionOption,
    max_pixels: int = MaxPixelsOption,
) -> None:
    """Print {"modelVersion": ..., "vector": [...]} for one image (or region) or one text."""
    if (image is None) == (text is None):
        raise InputError("give exactly one of --image or --text")
    if box is not None and image is None:
        raise InputError("--box needs --image")
    region = Box.parse(box, padding=box_padding) if box is not None else None
    images = build_images(model, precision, max_pixels, one_shot=True)
    encoder = images.encoder
    result: dict[str, object] = {"modelVersion": encoder.model_id}
    if image is not None:
        vector = images.embed_images([image], [region])[0]
    elif isinstance(encoder, Embedder):  # it can tell when a text was cut
        embedded = encoder.embed_texts_checked([text or ""])
        vector = embedded.vectors[0]
        if embedded.truncated[0]:
            print(
                f"warning: text truncated to the model's {encoder.files.text_config.context_length} tokens",
                file=sys.stderr,
            )
    else:
        vector = encoder.embed_texts([text or ""])[0]
    result["vector"] = [float(x) for x in vector]
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
