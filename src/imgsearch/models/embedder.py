"""Vectorize images, regions of images and texts into one shared embedding space.

:class:`Embedder` is the foundation of imgsearch: the indexer, the search and
the HTTP API all go through it. Vectors are float32, L2-normalised, one row per
input, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.media.decode import DecodeOptions, ImageSource
from imgsearch.models.catalog import DEFAULT_MODEL
from imgsearch.models.images import ImageOutcome, ImagePipeline
from imgsearch.models.layout import ModelFiles
from imgsearch.models.mapped import mapped_copy
from imgsearch.models.preprocess import Preprocessor
from imgsearch.models.quantize import cached_int8
from imgsearch.models.resolve import resolve_model, split_precision
from imgsearch.models.runtime import OnnxTower, l2_normalize
from imgsearch.models.settings import DEFAULT_IMAGE_BATCH, ModelSettings
from imgsearch.models.text_tower import TextEmbeddings, TextTower, no_text
from imgsearch.models.tokenizer import TextTokenizer
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.types import Box

Vectors = NDArray[np.float32]

DEFAULT_CACHE_DIR = Path("~/.cache/imgsearch")


class Embedder:
    """A CLIP-family model ready to embed images and texts.

    ``model`` is a catalog name (``imgsearch models list``), a Hugging Face
    repo id, a local model folder, or already-resolved :class:`ModelFiles`;
    append ``:int8`` (or pass ``precision="int8"``) for the quantised variant.
    Nothing heavy happens here: files are located (and downloaded once), while
    inference sessions and the tokenizer are created on first use.

    ``batch_size`` images go through the vision graph at once in :meth:`embed_images`;
    ``decode_workers`` threads decode and preprocess ahead of the model
    (default: the number of CPUs). ``threads`` sets onnxruntime's intra-op
    threads (default: onnxruntime's choice, one per physical core);
    ``text_threads`` overrides it for the text tower (see :meth:`set_text_threads`).
    ``max_concurrent_decodes`` bounds how many images are decoded at once by all
    threads together (default: no bound beyond ``decode_workers``). These four are
    the settings of :attr:`images`, the pipeline that reads images for this model.
    ``prepack=False`` starts sessions without repacking the weights (a one-shot command
    line call: faster start, slower repeated runs; the vectors do not change).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | ModelFiles = DEFAULT_MODEL,
        *,
        precision: str | None = None,
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        text_threads: int | None = None,
        batch_size: int = DEFAULT_IMAGE_BATCH,
        decode_workers: int | None = None,
        max_concurrent_decodes: int | None = None,
        decode: DecodeOptions = DecodeOptions(),
        cache_dir: Path | None = None,
        hub_cache_dir: Path | None = None,
        offline: bool = False,
        prepack: bool = True,
    ) -> None:
        self._reference: str | None = None
        if isinstance(model, ModelFiles):
            files, chosen = model, precision or "fp32"
        else:
            ref, chosen = split_precision(os.fspath(model), precision)
            self._reference = ref
            files = resolve_model(
                ref,
                precision=chosen,
                hub_cache_dir=hub_cache_dir,
                offline=offline,
                cache_dir=(cache_dir or DEFAULT_CACHE_DIR).expanduser(),
            )
        self.files = files
        self.precision = chosen
        self.images = ImagePipeline(
            self,
            decode=decode,
            batch_size=batch_size,
            decode_workers=decode_workers,
            max_concurrent_decodes=max_concurrent_decodes,
        )
        """How :meth:`embed_images` reads images (see :mod:`imgsearch.models.images`)."""
        self._providers = providers
        self._prepack = prepack
        self._threads = threads
        self._cache_dir = (cache_dir or DEFAULT_CACHE_DIR).expanduser()
        self._preprocess = Preprocessor(files.image)
        self._vision: OnnxTower | None = None
        self.texts = TextTower(
            files,
            model_id=self.model_id,
            dim=lambda: self.dim,
            graph=lambda: self._graph("text"),
            providers=providers,
            threads=threads,
            text_threads=text_threads,
            prepack=prepack,
        )

    @classmethod
    def from_settings(cls, settings: ModelSettings) -> Embedder:
        """The model ``settings`` name (the catalog default when it names none)."""
        return cls(
            settings.name or DEFAULT_MODEL,
            precision=settings.precision,
            providers=settings.providers,
            threads=settings.threads,
            text_threads=settings.text_threads,
            batch_size=settings.batch_size,
            decode_workers=settings.decode_workers,
            max_concurrent_decodes=settings.max_concurrent_decodes,
            decode=settings.decode,
            cache_dir=settings.cache_dir,
            hub_cache_dir=settings.hub_cache_dir,
            offline=settings.offline,
            prepack=settings.prepack,
        )

    # -- identity -----------------------------------------------------------

    @property
    def model_id(self) -> str:
        """The model's name as stored with vectors; int8 vectors get their own id."""
        return self.files.model_id if self.precision == "fp32" else f"{self.files.model_id}:int8"

    @property
    def source(self) -> str:
        """How to load this model again: the reference it was loaded by (a folder made
        absolute), with ``:int8`` for the quantised variant."""
        suffix = ":int8" if self.precision == "int8" else ""
        if self._reference is None:
            return self.files.model_id + suffix
        folder = Path(self._reference).expanduser()
        reference = str(folder.resolve()) if folder.is_dir() else self._reference
        return reference + suffix

    @property
    def dim(self) -> int:
        """Length of every vector this model produces."""
        if self.files.dim:
            return self.files.dim
        declared = self.vision.output_dim()
        if declared:
            return declared
        return int(self.embed_texts(["a photo"]).shape[1])

    # -- sessions -------------------------------------------------------------

    @property
    def vision(self) -> OnnxTower:
        if self._vision is None:
            self._vision = OnnxTower(
                self._graph("vision"), self._providers, self._threads, prepack=self._prepack
            )
        return self._vision

    def _graph(self, tower: str) -> Path:
        fp32 = self.files.vision if tower == "vision" else self.files.text
        if fp32 is None:
            raise no_text(self.model_id)
        if self.precision == "fp32":
            return mapped_copy(fp32, self._cache_dir)
        published = self.files.vision_int8 if tower == "vision" else self.files.text_int8
        if published is not None:
            return mapped_copy(published, self._cache_dir)
        return cached_int8(fp32, self._cache_dir)

    # -- texts (the text tower's, see :class:`TextTower`) -----------------------

    @property
    def supports_text(self) -> bool:
        """Whether the model has a text tower (image-only models do not)."""
        return self.texts.supports_text

    @cached_property
    def vocabulary(self) -> Vocabulary | None:
        """The words a closed-vocabulary model knows; ``None``: it reads any text."""
        return self.texts.vocabulary

    @property
    def text(self) -> OnnxTower:
        return self.texts.text

    @property
    def tokenizer(self) -> TextTokenizer:
        return self.texts.tokenizer

    def set_text_threads(self, threads: int | None) -> None:
        """See :meth:`TextTower.set_text_threads`."""
        self.texts.set_text_threads(threads)

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        """Embed texts: ``(len(texts), dim)``; a single string gives one row. Texts longer
        than the model's context are cut (:meth:`embed_texts_checked` says which)."""
        return self.texts.embed_texts(texts)

    def embed_texts_checked(self, texts: Sequence[str] | str) -> TextEmbeddings:
        """Like :meth:`embed_texts`, also saying which texts were truncated."""
        return self.texts.embed_texts_checked(texts)

    # -- images ----------------------------------------------------------------------

    @property
    def input_size(self) -> int:
        """The side in pixels the vision tower looks at."""
        return self.files.image.size

    def preprocess(self, rgb: Image.Image) -> NDArray[np.float32]:
        """Preprocess an already decoded, upright RGB image: ``(3, size, size)`` float32."""
        return self._preprocess(rgb)

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The vision tower's preprocessing, as stored in manifests and index settings."""
        return self.files.image.to_dict()

    def embed_pixels(self, pixels: NDArray[np.float32]) -> Vectors:
        """Embed an already preprocessed batch ``(n, 3, size, size)``."""
        return l2_normalize(self.vision.run({"pixel_values": pixels}))

    def embed_images(
        self, images: Sequence[ImageSource], boxes: Sequence[Box | None] | None = None
    ) -> Vectors:
        """Embed images (or the ``boxes`` regions of them): ``(len(images), dim)``.

        The first image that cannot be used raises its
        :class:`~imgsearch.errors.ImageError`; use :meth:`iter_image_embeddings`
        to skip bad images and carry on. (Both go through :attr:`images`, the
        pipeline every part of imgsearch reads images with.)
        """
        return self.images.embed_images(images, boxes)

    def iter_image_embeddings(
        self, items: Iterable[tuple[ImageSource, Box | None]]
    ) -> Iterator[ImageOutcome]:
        """Stream ``(image, box)`` pairs through decoding and the model, in input order.

        Each bad image yields an outcome carrying its error instead of a vector,
        so long runs (indexing) report and skip it and go on.
        """
        return self.images.stream(items)
