"""Options shared by every command that embeds, and the settings built from them.

This is where the CLI reads its environment (``IMGSEARCH_MODEL``, ``IMGSEARCH_PRECISION``,
``IMGSEARCH_PROVIDERS``, ``IMGSEARCH_CACHE``, ``IMGSEARCH_INDEX``, ``HF_HUB_OFFLINE``):
flags win over variables, and the result goes down as typed settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext

import typer

from imgsearch.config import default_cache_dir, default_index_dir, env_list, hub_offline
from imgsearch.index import Index
from imgsearch.media.decode import DEFAULT_MAX_PIXELS, DecodeOptions
from imgsearch.models.catalog import DEFAULT_MODEL
from imgsearch.models.images import ImagePipeline
from imgsearch.models.registry import load_encoder
from imgsearch.models.settings import DEFAULT_IMAGE_BATCH, ModelSettings

ModelOption = typer.Option(
    None,
    "--model",
    "-m",
    help="Catalog name (imgsearch models list), Hugging Face repo id, or local model folder; "
    "append :int8 for the quantised variant. Default: the model the index was built with; "
    "for a new index $IMGSEARCH_MODEL or clip-vit-b-32.",
)
StandaloneModelOption = typer.Option(
    None,
    "--model",
    "-m",
    help="Catalog name (imgsearch models list), Hugging Face repo id, or local model folder; "
    "append :int8 for the quantised variant. Default: $IMGSEARCH_MODEL or clip-vit-b-32.",
)
"""``--model`` of a command that uses no index (``vectorize``)."""
PrecisionOption = typer.Option(None, "--precision", help="fp32 (default) or int8.")
MaxPixelsOption = typer.Option(
    DEFAULT_MAX_PIXELS,
    "--max-pixels",
    help="Refuse images with more pixels than this (bomb guard).",
)
IndexOption = typer.Option(
    None,
    "--index",
    "--store",
    help="Index folder, or a PostgreSQL URL (postgresql://…[?collection=NAME]). "
    "Default: $IMGSEARCH_INDEX or ~/.local/share/imgsearch/index.",
)


def model_settings(
    model: str | None,
    precision: str | None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    batch_size: int = DEFAULT_IMAGE_BATCH,
    env: Mapping[str, str] = os.environ,
    one_shot: bool = False,
) -> ModelSettings:
    """The model the command line asks for (``name`` None: the index's own); ``one_shot``
    for a call that runs the model once or twice (no weight repacking at start)."""
    return ModelSettings(
        name=model or env.get("IMGSEARCH_MODEL") or None,
        precision=precision or env.get("IMGSEARCH_PRECISION") or None,
        providers=env_list(env.get("IMGSEARCH_PROVIDERS")),
        batch_size=batch_size,
        decode=DecodeOptions(max_pixels=max_pixels),
        cache_dir=default_cache_dir(env),
        offline=hub_offline(env),
        prepack=not one_shot,
    )


def build_images(
    model: str | None, precision: str | None, max_pixels: int, *, one_shot: bool = False
) -> ImagePipeline:
    """The model a command line names, with the pipeline that reads images for it."""
    settings = model_settings(model, precision, max_pixels, one_shot=one_shot)
    encoder = load_encoder(settings.named(settings.name or DEFAULT_MODEL))
    return ImagePipeline.from_settings(encoder, settings)


ResidentClaim = Callable[[str | None, str | None, str | None], Index]
"""Given a command line's index, model and precision: the index already open for them
(or an exception refusing the call)."""
_resident: ResidentClaim | None = None


@contextmanager
def answering_for(claim: ResidentClaim) -> Iterator[None]:
    """While a daemon runs a command line (:mod:`imgsearch.cli.resident.answering`), every
    :func:`open_index` asks ``claim`` instead of opening anything."""
    global _resident
    _resident = claim
    try:
        yield
    finally:
        _resident = None


def open_index(
    index: str | None,
    model: str | None,
    precision: str | None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    create: bool = False,
    batch_size: int = DEFAULT_IMAGE_BATCH,
    one_shot: bool = False,
) -> AbstractContextManager[Index]:
    """Open the index named on the command line; its own model unless --model says otherwise
    (``one_shot``: see :func:`model_settings`). Use it in a ``with`` block: it closes the
    index, unless it is a daemon's, which stays open."""
    if _resident is not None:
        return nullcontext(_resident(index, model, precision))
    return Index.open(
        index if index is not None else default_index_dir(os.environ),
        model=model_settings(
            model, precision, max_pixels, batch_size=batch_size, one_shot=one_shot
        ),
        create=create,
    )
