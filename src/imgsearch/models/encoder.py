"""The one contract between a model and the rest of imgsearch.

The indexer, the search and the server know a model only as an :class:`Encoder`: its
identity (what an index stores to refuse vectors of another model) and three methods —
how an upright RGB picture becomes the model's input, and how inputs and texts become
unit vectors of one space. Reading files, crops, bounds on concurrent decodes and
batching are imgsearch's own (:mod:`imgsearch.models.images`), the same for every model.
:class:`~imgsearch.models.embedder.Embedder` (ONNX towers from a model folder) is the
implementation that ships; :func:`~imgsearch.models.registry.register_encoder` adds
others — the tests register a deterministic fake through that same path, so most tests
need no exported model and no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.models.vocabulary import Vocabulary

Pixels = NDArray[np.float32]
"""One image as the model takes it (its shape is the encoder's business)."""
Vectors = NDArray[np.float32]
"""``(n, dim)`` float32, each row of unit length: cosine similarity is a dot product."""


@runtime_checkable
class Encoder(Protocol):
    """Turns pictures (and, for image–text models, texts) into vectors of one space.

    Identity: ``model_id`` names the vectors (stored with an index; another id is another
    space); ``preprocessing`` is a JSON-able description of how inputs are made, stored
    beside it; ``source`` is how to load the same model again later (a catalog name, hub
    id, absolute folder, registered name); ``input_size`` is the side in pixels the model
    looks at (decoders may shrink larger pictures towards it before :meth:`preprocess`);
    ``supports_text`` is False for image-only models, whose :meth:`embed_texts` raises
    :class:`~imgsearch.errors.TextNotSupported`; ``vocabulary`` lists the words a
    closed-vocabulary model was trained on (``None``: it reads any text; see
    :mod:`imgsearch.models.vocabulary`).
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
    def input_size(self) -> int: ...

    @property
    def supports_text(self) -> bool: ...

    @property
    def vocabulary(self) -> Vocabulary | None: ...

    def preprocess(self, rgb: Image.Image) -> Pixels:
        """The model input of an upright RGB picture (already cropped to a region)."""
        ...

    def embed_pixels(self, pixels: Pixels) -> Vectors:
        """Vectors of a stacked batch of :meth:`preprocess` outputs."""
        ...

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        """Vectors of texts (a single string gives one row)."""
        ...
