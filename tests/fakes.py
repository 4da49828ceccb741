"""A deterministic encoder with no model files and no torch: the fast test tier's model.

Registered as ``fake-hash`` through :func:`imgsearch.register_encoder`, the same path a
real plugin takes, so the CLI, the indexer and the server load it as they load a model
folder. Images still go through imgsearch's real decoding (its image pipeline: one verdict
per file); their "pixels" are an 8×8 colour thumbnail, and a fixed random projection turns that into a
vector, so similar pictures get similar vectors. A text's vector is the normalised sum of
one fixed random vector per word, so texts sharing words are similar.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import InvalidText
from imgsearch.models.settings import ModelSettings
from imgsearch.models.vocabulary import Vocabulary

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
        self.input_size = SIDE
        self.supports_text = True
        self.vocabulary: Vocabulary | None = None  # an open vocabulary, as CLIP's
        self.calls = 0  # model calls (embed_pixels), for tests of batching
        self._variant = variant

    @property
    def preprocessing(self) -> dict[str, object]:
        return {"thumbnail": SIDE, "variant": self._variant}

    def preprocess(self, rgb: Any) -> NDArray[np.float32]:
        return self._values(rgb)

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


def register() -> None:
    """``fake-hash`` and ``fake-hash-b`` (another "model": other vectors, same dimension)."""
    from imgsearch.models.registry import register_encoder

    register_encoder(NAME, HashEncoder)
    register_encoder(f"{NAME}-b", lambda settings: HashEncoder(settings, "b"))


register()  # on import: IMGSEARCH_PLUGINS=tests.fakes loads it into a CLI process
