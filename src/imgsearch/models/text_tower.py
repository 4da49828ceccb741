"""The text side of a model, owned by its :class:`~imgsearch.models.embedder.Embedder`:
the text tower's session and tokenizer, text embedding, and what a closed-vocabulary model
can read (:mod:`imgsearch.models.vocabulary`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import InputError, TextNotSupported
from imgsearch.models.layout import ModelFiles
from imgsearch.models.runtime import OnnxTower, l2_normalize
from imgsearch.models.tokenizer import TextTokenizer
from imgsearch.models.vocabulary import Vocabulary

Vectors = NDArray[np.float32]

DEFAULT_TEXT_BATCH = 64


@dataclass(frozen=True)
class TextEmbeddings:
    """Text vectors plus, per text, whether it was cut to the model's context length."""

    vectors: Vectors
    truncated: tuple[bool, ...]


def no_text(model_id: str) -> TextNotSupported:
    """The error for a text given to an image-only model."""
    return TextNotSupported(
        f"{model_id} embeds images only: it has no text tower",
        hint="search or vectorize by image, or use an image-text model (CLIP, SigLIP)",
    )


class TextTower:
    """A model's text side. Its owner hands it what it needs: the model's files and id,
    where the text graph is (the owner knows the precision and the cache), the vectors'
    dimension (for an empty answer), and the session settings. Sessions and the
    tokenizer are made on first use."""

    def __init__(
        self,
        files: ModelFiles,
        *,
        model_id: str,
        dim: Callable[[], int],
        graph: Callable[[], Path],
        providers: Sequence[str] | None,
        threads: int | None,
        text_threads: int | None,
        prepack: bool,
    ) -> None:
        self.files = files
        self.model_id = model_id
        self._dim = dim
        self._graph = graph
        self._providers = providers
        self._threads = threads
        self._text_threads = text_threads
        self._prepack = prepack
        self._text: OnnxTower | None = None
        self._tokenizer: TextTokenizer | None = None

    @property
    def supports_text(self) -> bool:
        """Whether the model has a text tower (image-only models do not)."""
        return self.files.text is not None

    @cached_property
    def vocabulary(self) -> Vocabulary | None:
        """The words the text tower was trained on, for a closed-vocabulary model (its
        manifest lists them); ``None`` for an open one, which reads any text."""
        return Vocabulary.from_manifest(self.files.manifest) if self.supports_text else None

    # -- the text tower -------------------------------------------------------

    @property
    def text(self) -> OnnxTower:
        if self._text is None:
            threads = self._text_threads or self._threads
            self._text = OnnxTower(self._graph(), self._providers, threads, prepack=self._prepack)
        return self._text

    def set_text_threads(self, threads: int | None) -> None:
        """Intra-op threads of the text tower (None: as ``threads``), from its next session.

        A server encoding batches of queries may want fewer than a single user
        does: two threads halve one query's latency, while batched small
        matrix products keep both cores busier when each batch has one.
        """
        if threads is not None and threads < 1:
            raise InputError(f"text threads must be at least 1, not {threads}")
        if threads != self._text_threads:
            self._text_threads = threads
            self._text = None

    @property
    def tokenizer(self) -> TextTokenizer:
        if self._tokenizer is None:
            if self.files.tokenizer is None:
                raise no_text(self.model_id)
            self._tokenizer = TextTokenizer(self.files.tokenizer, self.files.text_config)
        return self._tokenizer

    # -- texts ----------------------------------------------------------------

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        """Embed texts: ``(len(texts), dim)``. A single string gives one row.

        Texts longer than the model's context are truncated; use
        :meth:`embed_texts_checked` to learn which were.
        """
        return self.embed_texts_checked(texts).vectors

    def embed_texts_checked(self, texts: Sequence[str] | str) -> TextEmbeddings:
        """Like :meth:`embed_texts`, also saying which texts were truncated."""
        batch_texts = [texts] if isinstance(texts, str) else list(texts)
        if not self.supports_text:
            raise no_text(self.model_id)
        if not batch_texts:
            return TextEmbeddings(np.empty((0, self._dim()), dtype=np.float32), ())
        # Similar lengths together: less padding when batches are padded to their longest.
        order = sorted(range(len(batch_texts)), key=lambda i: len(batch_texts[i]))
        out: list[Any] = [None] * len(batch_texts)
        truncated = [False] * len(batch_texts)
        for start in range(0, len(order), DEFAULT_TEXT_BATCH):
            chunk = order[start : start + DEFAULT_TEXT_BATCH]
            tokens = self.tokenizer([batch_texts[i] for i in chunk])
            vectors = l2_normalize(
                self.text.run(
                    {"input_ids": tokens.input_ids, "attention_mask": tokens.attention_mask}
                )
            )
            for slot, i in enumerate(chunk):
                out[i] = vectors[slot]
                truncated[i] = tokens.truncated[slot]
        return TextEmbeddings(np.stack(out).astype(np.float32), tuple(truncated))
