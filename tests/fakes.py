"""A deterministic encoder with no model files and no torch: the fast test tier's model.

Registered as ``fake-hash`` through :func:`imgsearch.register_encoder`, the same path a
real plugin takes, so the CLI, the indexer and the server load it as they load a model
folder. Images still go through imgsearch's real decoding (one verdict per file); their
"pixels" are an 8×8 colour thumbnail, and a fixed random projection turns that into a
vector, so similar pictures get similar vectors. A text's vector is the normalised sum of
one fixed random vector per word, so texts sharing words are similar.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import InvalidText
from imgsearch.media.decode import DecodeOptions, read_crops, read_image
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import ImageSource
from imgsearch.models.settings import ModelSettings
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.types import Box

NAME = "fake-hash"
DIM = 32
SIDE = 8


def _unit(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def _word_vector(word: str) -> NDArray[np.float32]:
    seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "big")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


_PROJECTION = np.random.default_rng(7).standard_normal((3 * SIDE * SIDE, DIM)).astype(np.float32)


class HashEncoder:
    """An :class:`~imgsearch.models.encoder.Encoder` (its ``model_id`` carries a variant, so two
    fakes can stand for two different models)."""

    def __init__(self, settings: ModelSettings, variant: str = "") -> None:
        self.model_id = NAME + (f"-{variant}" if variant else "")
        self.source = self.model_id
        self.dim = DIM
        self.batch_size = settings.batch_size
        self.decode_workers = settings.decode_workers or (os.cpu_count() or 1)
        self.decode_options: DecodeOptions = settings.decode
        self.supports_text = True
        self.vocabulary: Vocabulary | None = None  # an open vocabulary, as CLIP's
        self.calls = 0  # model calls (embed_pixels), for tests of batching
        slots = settings.max_concurrent_decodes
        self._slots = threading.BoundedSemaphore(slots) if slots else None
        self._variant = variant

    @property
    def preprocessing(self) -> dict[str, object]:
        return {"thumbnail": SIDE, "variant": self._variant}

    def read_image(
        self,
        image: ImageSource,
        *,
        name: str | None = None,
        box: Box | None = None,
        pixels: bool = True,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, NDArray[np.float32] | None]:
        with self.decode_slot():
            decoded = read_image(
                image,
                name=name,
                box=box,
                min_short_edge=SIDE if pixels else None,
                pixels=pixels,
                options=options or self.decode_options,
            )
        if decoded.rgb is None:
            return decoded.info, None
        return decoded.info, self._values(decoded.rgb)

    def read_regions(
        self, image: ImageSource, boxes: Sequence[Box], *, name: str | None = None
    ) -> tuple[ImageInfo, list[NDArray[np.float32]]]:
        with self.decode_slot():
            info, crops = read_crops(
                image, boxes, name=name, min_short_edge=SIDE, options=self.decode_options
            )
        return info, [self._values(crop) for crop in crops]

    @staticmethod
    def _values(rgb: Any) -> NDArray[np.float32]:
        small = rgb.resize((SIDE, SIDE))
        values: NDArray[np.float32] = np.asarray(small, dtype=np.float32).transpose(2, 0, 1) / 255.0
        return values

    def embed_pixels(self, pixels: NDArray[np.float32]) -> NDArray[np.float32]:
        self.calls += 1
        flat = pixels.reshape(len(pixels), -1) - 0.5
        return _unit(flat @ _PROJECTION)

    def embed_texts(self, texts: Sequence[str] | str) -> NDArray[np.float32]:
        batch = [texts] if isinstance(texts, str) else list(texts)
        rows = []
        for i, text in enumerate(batch):
            words = text.lower().split() if isinstance(text, str) else []
            if not words:
                raise InvalidText(f"text #{i} is empty", hint="give a non-empty description")
            rows.append(sum(_word_vector(word) for word in words))
        return _unit(np.stack(rows)) if rows else np.empty((0, DIM), np.float32)

    def decode_slot(self) -> AbstractContextManager[object]:
        return self._slots if self._slots is not None else nullcontext()


def register() -> None:
    """``fake-hash`` and ``fake-hash-b`` (another "model": other vectors, same dimension)."""
    from imgsearch.models.registry import register_encoder

    register_encoder(NAME, HashEncoder)
    register_encoder(f"{NAME}-b", lambda settings: HashEncoder(settings, "b"))


register()  # on import: IMGSEARCH_PLUGINS=tests.fakes loads it into a CLI process
