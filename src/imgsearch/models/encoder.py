"""The one contract between a model and the rest of imgsearch.

The indexer, the search and the server know a model only as an :class:`Encoder`:
its identity (what an index stores to refuse vectors of another model), how an
image file becomes model-ready pixels (decoding included, so a file gets one
verdict everywhere), and how pixels and texts become unit vectors of one space.
:class:`~imgsearch.models.embedder.Embedder` (ONNX towers from a model folder) is the
implementation that ships; :func:`~imgsearch.models.registry.register_encoder`
adds others — the tests register a deterministic fake through that same path,
so most tests need no exported model and no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from imgsearch.media.decode import DecodeOptions
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import ImageSource
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.types import Box

Pixels = NDArray[np.float32]
"""One image as the model takes it (its shape is the encoder's business)."""
Vectors = NDArray[np.float32]
"""``(n, dim)`` float32, each row of unit length: cosine similarity is a dot product."""


@runtime_checkable
class Encoder(Protocol):
    """Turns images (and, for image–text models, texts) into vectors of one space.

    ``model_id`` names the vectors (stored with an index; another id is another
    space); ``preprocessing`` is a JSON-able description of how pixels are made,
    stored beside it; ``source`` is how to load the same model again later (a
    catalog name, hub id, absolute folder, registered name). ``supports_text`` is
    False for image-only models, whose ``embed_texts`` raises
    :class:`~imgsearch.errors.TextNotSupported`. ``batch_size`` images go through
    the model at once, ``decode_workers`` threads read images ahead of it.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def preprocessing(self) -> dict[str, object]: ...

    @property
    def source(self) -> str: ...

    @property
    def supports_text(self) -> bool: ...

    @property
    def vocabulary(self) -> Vocabulary | None:
        """The words a closed-vocabulary model was trained on (``None``: it reads any
        text; see :mod:`imgsearch.models.vocabulary`)."""

    @property
    def batch_size(self) -> int: ...

    @property
    def decode_workers(self) -> int: ...

    @property
    def decode_options(self) -> DecodeOptions: ...

    def read_image(
        self,
        image: ImageSource,
        *,
        name: str | None = None,
        box: Box | None = None,
        pixels: bool = True,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, Pixels | None]:
        """An image's facts and (unless ``pixels=False``) its model input; raises
        :class:`~imgsearch.errors.ImageError` for a bad image (see
        :func:`~imgsearch.media.decode.read_image`)."""
        ...

    def read_regions(
        self, image: ImageSource, boxes: Sequence[Box], *, name: str | None = None
    ) -> tuple[ImageInfo, list[Pixels]]:
        """An image's facts and the model input of each of ``boxes`` (pixels of the
        displayed image, each padded as it says), decoded once; raises as
        :meth:`read_image` does (a box outside the image is an
        :class:`~imgsearch.errors.InvalidBox`)."""
        ...

    def embed_pixels(self, pixels: Pixels) -> Vectors:
        """Vectors of a stacked batch of :meth:`read_image` outputs."""
        ...

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        """Vectors of texts (a single string gives one row)."""
        ...

    def decode_slot(self) -> AbstractContextManager[object]:
        """Held while an image is decoded: bounds decodes across threads."""
        ...


def embed_batches(encoder: Encoder, pixels: Sequence[Pixels]) -> Vectors:
    """Vectors of model inputs read one by one, run through the model a batch at a time."""
    size = max(encoder.batch_size, 1)
    parts = [
        encoder.embed_pixels(np.stack(pixels[i : i + size])) for i in range(0, len(pixels), size)
    ]
    return np.concatenate(parts) if parts else np.empty((0, encoder.dim), np.float32)
