"""The one way images become vectors: decode, crop, preprocess, batch, embed.

An :class:`~imgsearch.models.encoder.Encoder` knows only its model: how an upright RGB
picture becomes its input (``preprocess``) and how a batch of inputs becomes vectors.
Everything around it is imgsearch's own and lives here, once, for every caller — the
indexer, queries, the server, video frames, regions and annotation imports:

* decoding under the :class:`~imgsearch.media.decode.DecodeOptions` limits (so a file
  gets one verdict everywhere) at the scale the model needs;
* a bound on decodes running at once across all threads (``max_concurrent_decodes``:
  what keeps a server's memory independent of how many requests arrive together);
* decoding ahead of the model on ``decode_workers`` threads, and model calls of
  ``batch_size`` inputs.

A caller that needs its own grouping (the indexer writes each batch in one transaction)
uses :meth:`ImagePipeline.read_ahead` and :meth:`ImagePipeline.embed`, the two halves of
:meth:`ImagePipeline.stream`.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from imgsearch.errors import ImgsearchError, InputError
from imgsearch.media.decode import DecodeOptions, read_crops, read_image
from imgsearch.media.failures import detached
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import ImageSource
from imgsearch.models.encoder import Encoder, Pixels, Vectors
from imgsearch.models.settings import DEFAULT_IMAGE_BATCH, ModelSettings
from imgsearch.pipeline import ordered_map
from imgsearch.types import Box

T = TypeVar("T")
R = TypeVar("R")
_DONE = object()


@dataclass(frozen=True)
class ImageOutcome:
    """One image's result in a streaming run: a vector, or the error that stopped it."""

    index: int
    vector: Vectors | None
    error: ImgsearchError | None


class ImagePipeline:
    """Reads images for ``encoder`` and runs them through it.

    ``decode``: the limits every image is read under; ``batch_size`` inputs per model
    call; ``decode_workers`` threads decoding ahead of the model (``None``: one per CPU;
    0: on the caller's thread); ``max_concurrent_decodes`` across all threads (``None``:
    no bound beyond the workers), or the bound of ``share_slots_with`` (a server's request
    images and its index runs count together).
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        decode: DecodeOptions = DecodeOptions(),
        batch_size: int = DEFAULT_IMAGE_BATCH,
        decode_workers: int | None = None,
        max_concurrent_decodes: int | None = None,
        share_slots_with: ImagePipeline | None = None,
    ) -> None:
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, not {batch_size}")
        if max_concurrent_decodes is not None and max_concurrent_decodes < 1:
            raise InputError(
                f"max_concurrent_decodes must be at least 1, not {max_concurrent_decodes}"
            )
        self.encoder = encoder
        self.decode_options = decode
        self.batch_size = batch_size
        self.decode_workers = (os.cpu_count() or 1) if decode_workers is None else decode_workers
        self._slots: threading.BoundedSemaphore | None = (
            share_slots_with._slots
            if share_slots_with is not None
            else threading.BoundedSemaphore(max_concurrent_decodes)
            if max_concurrent_decodes
            else None
        )

    @classmethod
    def from_settings(cls, encoder: Encoder, settings: ModelSettings) -> ImagePipeline:
        return cls(
            encoder,
            decode=settings.decode,
            batch_size=settings.batch_size,
            decode_workers=settings.decode_workers,
            max_concurrent_decodes=settings.max_concurrent_decodes,
        )

    # -- reading ------------------------------------------------------------------------

    def decode_slot(self) -> AbstractContextManager[object]:
        """Held while an image is decoded (see ``max_concurrent_decodes``)."""
        return self._slots if self._slots is not None else nullcontext()

    def read_image(
        self,
        image: ImageSource,
        *,
        name: str | None = None,
        box: Box | None = None,
        pixels: bool = True,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, Pixels | None]:
        """An image's facts and (unless ``pixels=False``) its model input.

        The one way the indexer, queries and the server read images (see
        :func:`~imgsearch.media.decode.read_image`), so a file gets the same verdict
        everywhere; ``name`` names it in errors; ``options`` replace the pipeline's
        decode limits for this image. Raises :class:`~imgsearch.errors.ImageError`.
        """
        with self.decode_slot():
            decoded = read_image(
                image,
                name=name,
                box=box,
                min_short_edge=self.encoder.input_size if pixels else None,
                pixels=pixels,
                options=options or self.decode_options,
            )
            if decoded.rgb is None:
                return decoded.info, None
            return decoded.info, self.encoder.preprocess(decoded.rgb)

    def read_regions(
        self,
        image: ImageSource,
        boxes: Sequence[Box],
        *,
        name: str | None = None,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, list[Pixels]]:
        """An image's facts and the model input of each of ``boxes`` (pixels of the
        displayed image, each padded as it says), decoded once; raises as
        :meth:`read_image` does (a box outside the image is an
        :class:`~imgsearch.errors.InvalidBox`)."""
        with self.decode_slot():
            info, crops = read_crops(
                image,
                boxes,
                name=name,
                min_short_edge=self.encoder.input_size,
                options=options or self.decode_options,
            )
            return info, [self.encoder.preprocess(crop) for crop in crops]

    def read_ahead(self, read: Callable[[T], R], items: Iterable[T]) -> Iterator[Future[R]]:
        """``read(item)`` for each item on the decode threads, in input order, at most two
        batches ahead of the caller (what bounds the memory of decoded images waiting for
        the model); each future is done, and ``.result()`` raises that item's error."""
        return ordered_map(read, items, workers=self.decode_workers, window=self.batch_size * 2)

    def read_behind(
        self, source: Iterator[T], read: Callable[[T], Pixels]
    ) -> Generator[tuple[list[T], list[Pixels]], None, None]:
        """Batches of ``(items, model inputs)`` from a source that can only be read in
        order (a video's frames, decoded one after another), produced on a thread of
        their own while the caller runs the model on the batch before; at most two
        batches wait. An error of the source or of ``read`` is raised here, and a caller
        that stops early stops the thread."""
        out: queue.Queue[object] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def put(value: object) -> bool:
            while not stop.is_set():
                try:
                    out.put(value, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            items: list[T] = []
            pixels: list[Pixels] = []
            try:
                for item in source:
                    pixels.append(read(item))
                    items.append(item)
                    if len(pixels) >= self.batch_size:
                        if not put((items, pixels)):
                            return
                        items, pixels = [], []
                if pixels and not put((items, pixels)):
                    return
                put(_DONE)
            except BaseException as exc:  # handed to the consumer, raised there
                put(exc)

        worker = threading.Thread(target=produce, name="imgsearch-read-behind", daemon=True)
        worker.start()
        try:
            while True:
                value = out.get()
                if value is _DONE:
                    return
                if isinstance(value, BaseException):
                    raise value
                yield value  # type: ignore[misc]
        finally:
            stop.set()

    # -- embedding ----------------------------------------------------------------------

    def embed(self, pixels: Sequence[Pixels]) -> Vectors:
        """Vectors of model inputs, run through the model ``batch_size`` at a time."""
        size = self.batch_size
        parts = [
            self.encoder.embed_pixels(np.stack(pixels[i : i + size]))
            for i in range(0, len(pixels), size)
        ]
        return np.concatenate(parts) if parts else np.empty((0, self.encoder.dim), np.float32)

    def stream(self, items: Iterable[tuple[ImageSource, Box | None]]) -> Iterator[ImageOutcome]:
        """Stream ``(image, box)`` pairs through decoding and the model, in input order.

        Each bad image yields an outcome carrying its error instead of a vector, so long
        runs report and skip it and go on.
        """

        def prepare(item: tuple[ImageSource, Box | None]) -> Pixels:
            pixels = self.read_image(item[0], box=item[1])[1]
            assert pixels is not None
            return pixels

        batch: list[tuple[int, Pixels]] = []
        for index, future in enumerate(self.read_ahead(prepare, items)):
            error = future.exception()
            if error is not None:
                if not isinstance(error, ImgsearchError):
                    raise error
                yield from self._flush(batch)
                batch = []
                yield ImageOutcome(index, None, detached(error))
                continue
            batch.append((index, future.result()))
            if len(batch) == self.batch_size:
                yield from self._flush(batch)
                batch = []
        yield from self._flush(batch)

    def _flush(self, batch: list[tuple[int, Pixels]]) -> Iterator[ImageOutcome]:
        if not batch:
            return
        vectors = self.encoder.embed_pixels(np.stack([pixels for _, pixels in batch]))
        for (index, _), vector in zip(batch, vectors, strict=True):
            yield ImageOutcome(index, vector, None)

    def embed_images(
        self, images: Sequence[ImageSource], boxes: Sequence[Box | None] | None = None
    ) -> Vectors:
        """Vectors of images (or the ``boxes`` regions of them): ``(len(images), dim)``. The
        first image that cannot be used raises its :class:`~imgsearch.errors.ImageError`;
        :meth:`stream` skips bad images and carries on."""
        if boxes is not None and len(boxes) != len(images):
            raise InputError(
                f"got {len(boxes)} boxes for {len(images)} images; give one per image (or None)"
            )
        pairs = list(zip(images, boxes if boxes is not None else [None] * len(images), strict=True))
        if len(pairs) == 1:  # no decode thread to start for a single image (a query)
            pixels = self.read_image(pairs[0][0], box=pairs[0][1])[1]
            assert pixels is not None
            return self.encoder.embed_pixels(pixels[None])
        out = np.empty((len(pairs), self.encoder.dim), dtype=np.float32)
        for outcome in self.stream(pairs):
            if outcome.error is not None:
                raise outcome.error
            out[outcome.index] = outcome.vector
        return out
