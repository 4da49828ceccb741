"""Options shared by every command that embeds, and building an Embedder from them."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from imgsearch.config import Settings, default_index_dir
from imgsearch.embedder import DEFAULT_IMAGE_BATCH, Embedder
from imgsearch.index import Index
from imgsearch.media.decode import DEFAULT_MAX_PIXELS, DecodeOptions

ModelOption = typer.Option(
    None,
    "--model",
    "-m",
    help="Catalog name (imgsearch models list), Hugging Face repo id, or local model folder; "
    "append :int8 for the quantised variant. Default: $IMGSEARCH_MODEL or clip-vit-b-32.",
)
PrecisionOption = typer.Option(None, "--precision", help="fp32 (default) or int8.")
MaxPixelsOption = typer.Option(
    DEFAULT_MAX_PIXELS,
    "--max-pixels",
    help="Refuse images with more pixels than this (bomb guard).",
)


def build_embedder(model: str | None, precision: str | None, max_pixels: int) -> Embedder:
    settings = Settings.from_env()
    return Embedder(
        model or settings.model,
        precision=precision or (None if settings.precision == "fp32" else settings.precision),
        decode=DecodeOptions(max_pixels=max_pixels),
        cache_dir=Path(settings.cache_dir),
        offline=settings.offline,
    )


IndexOption = typer.Option(
    None,
    "--index",
    "--store",
    help="Index folder, or a PostgreSQL URL (postgresql://…[?collection=NAME]). "
    "Default: $IMGSEARCH_INDEX or ~/.local/share/imgsearch/index.",
)


def open_index(
    index: str | None,
    model: str | None,
    precision: str | None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    create: bool = False,
    batch_size: int = DEFAULT_IMAGE_BATCH,
) -> Index:
    """Open the index named on the command line; its own model unless --model says otherwise."""
    settings = Settings.from_env()
    chosen = model or os.environ.get("IMGSEARCH_MODEL") or None
    return Index.open(
        index if index is not None else default_index_dir(),
        model=chosen,
        create=create,
        precision=precision or (None if settings.precision == "fp32" else settings.precision),
        decode=DecodeOptions(max_pixels=max_pixels),
        cache_dir=Path(settings.cache_dir),
        offline=settings.offline,
        batch_size=batch_size,
    )
