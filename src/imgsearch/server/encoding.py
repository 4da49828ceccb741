"""The served model as requests see it: an :class:`~imgsearch.models.encoder.Encoder` that batches.

Queries resolve through the same :func:`~imgsearch.query.expression.encode_query` as the
library; what differs for a server is wrapped here, behind the encoder
contract, instead of hooks into :class:`~imgsearch.index.Index`:

* texts and images of concurrent requests go through the model together
  (:mod:`imgsearch.server.batching`);
* images sent by clients are decoded under the upload limits;
* an image named by the index (a region of an indexed image) is read only from
  its checked, still-identical file (:mod:`imgsearch.server.files`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import BinaryIO

from imgsearch.media.decode import DecodeOptions
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import ImageSource
from imgsearch.models.encoder import Encoder, Pixels, Vectors
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.server.batching import Batcher, TextBatcher
from imgsearch.types import Box


class ServingEncoder:
    """``encoder`` with batched model calls, upload limits and checked indexed files.

    A ``str`` image is the path of an indexed image and is opened with
    ``open_indexed`` (which refuses anything but the indexed file); anything
    else is a client's image, decoded with ``request_decode``.
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        texts: TextBatcher,
        images: Batcher[Pixels],
        request_decode: DecodeOptions,
        open_indexed: Callable[[str], BinaryIO],
    ) -> None:
        self.inner = encoder
        self._texts = texts
        self._images = images
        self._request_decode = request_decode
        self._open_indexed = open_indexed

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def preprocessing(self) -> dict[str, object]:
        return self.inner.preprocessing

    @property
    def source(self) -> str:
        return self.inner.source

    @property
    def supports_text(self) -> bool:
        return self.inner.supports_text

    @property
    def vocabulary(self) -> Vocabulary | None:
        return self.inner.vocabulary

    @property
    def batch_size(self) -> int:
        return self.inner.batch_size

    @property
    def decode_workers(self) -> int:
        return self.inner.decode_workers

    @property
    def decode_options(self) -> DecodeOptions:
        return self._request_decode

    def read_image(
        self,
        image: ImageSource,
        *,
        name: str | None = None,
        box: Box | None = None,
        pixels: bool = True,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, Pixels | None]:
        if isinstance(image, str):
            with self._open_indexed(image) as stream:
                return self.inner.read_image(stream, name=image, box=box, pixels=pixels)
        return self.inner.read_image(
            image, name=name, box=box, pixels=pixels, options=options or self._request_decode
        )

    def read_regions(
        self, image: ImageSource, boxes: Sequence[Box], *, name: str | None = None
    ) -> tuple[ImageInfo, list[Pixels]]:
        if isinstance(image, str):
            with self._open_indexed(image) as stream:
                return self.inner.read_regions(stream, boxes, name=image)
        return self.inner.read_regions(image, boxes, name=name)

    def embed_pixels(self, pixels: Pixels) -> Vectors:
        return self._images.encode(list(pixels))

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        return self._texts.encode([texts] if isinstance(texts, str) else list(texts))

    async def embed_texts_async(self, texts: Sequence[str]) -> Vectors:
        """:meth:`embed_texts` awaited on the event loop, holding no thread."""
        return await self._texts.encode_async(list(texts))

    def decode_slot(self) -> AbstractContextManager[object]:
        return self.inner.decode_slot()
