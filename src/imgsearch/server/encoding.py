"""The served model as requests see it: the same contract as the library's, with what differs for a server.

Queries resolve through the same :func:`~imgsearch.query.expression.encode_query` as the
library, with the same :class:`~imgsearch.models.images.ImagePipeline`; what differs for
a server is wrapped here, instead of hooks into :class:`~imgsearch.index.Index`:

* texts and images of concurrent requests go through the model together
  (:class:`BatchedEncoder`, over :mod:`imgsearch.server.batching`);
* images sent by clients are decoded under the upload limits, and an image named by the
  index (a region of an indexed image) is read only from its checked, still-identical
  file (:mod:`imgsearch.server.files`) — :class:`ServingImages`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import BinaryIO

from PIL import Image

from imgsearch.media.decode import DecodeOptions
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import ImageSource
from imgsearch.models.encoder import Encoder, Pixels, Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.models.vocabulary import Vocabulary
from imgsearch.server.batching import Batcher, TextBatcher
from imgsearch.types import Box


class BatchedEncoder:
    """``inner`` whose model calls join those of concurrent requests."""

    def __init__(self, inner: Encoder, *, texts: TextBatcher, images: Batcher[Pixels]) -> None:
        self.inner = inner
        self._texts = texts
        self._images = images

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
    def input_size(self) -> int:
        return self.inner.input_size

    @property
    def supports_text(self) -> bool:
        return self.inner.supports_text

    @property
    def vocabulary(self) -> Vocabulary | None:
        return self.inner.vocabulary

    def preprocess(self, rgb: Image.Image) -> Pixels:
        return self.inner.preprocess(rgb)

    def embed_pixels(self, pixels: Pixels) -> Vectors:
        return self._images.encode(list(pixels))

    def embed_texts(self, texts: Sequence[str] | str) -> Vectors:
        return self._texts.encode([texts] if isinstance(texts, str) else list(texts))


class ServingImages(ImagePipeline):
    """The index's image pipeline as requests use it, under the same bound on concurrent
    decodes as the index runs.

    A ``str`` image is the path of an indexed image: opened with ``open_indexed`` (which
    refuses anything but the indexed file) and decoded as ``imgsearch index`` decodes it;
    anything else is a client's image, decoded with ``request_decode``.
    """

    def __init__(
        self,
        indexed: ImagePipeline,
        encoder: Encoder,
        *,
        request_decode: DecodeOptions,
        open_indexed: Callable[[str], BinaryIO],
    ) -> None:
        super().__init__(
            encoder,
            decode=request_decode,
            batch_size=indexed.batch_size,
            decode_workers=indexed.decode_workers,
            share_slots_with=indexed,
        )
        self._indexed_decode = indexed.decode_options
        self._open_indexed = open_indexed

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
                return super().read_image(
                    stream, name=image, box=box, pixels=pixels, options=self._indexed_decode
                )
        return super().read_image(image, name=name, box=box, pixels=pixels, options=options)

    def read_regions(
        self,
        image: ImageSource,
        boxes: Sequence[Box],
        *,
        name: str | None = None,
        options: DecodeOptions | None = None,
    ) -> tuple[ImageInfo, list[Pixels]]:
        if isinstance(image, str):
            with self._open_indexed(image) as stream:
                return super().read_regions(stream, boxes, name=image, options=self._indexed_decode)
        return super().read_regions(image, boxes, name=name, options=options)
