"""What the HTTP layer talks to: the index, its model, background index runs, thumbnails.

Searches run concurrently: query texts are encoded in batches with other
requests' (:mod:`imgsearch.server.batching`), then each ranking runs in a
pool thread, reading the store and the vector index side by side (both are
safe for concurrent readers). An index run gets its own ``Index`` (its own
connection) sharing the model, so searches keep answering, and see each
committed batch, while it writes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from starlette.concurrency import run_in_threadpool

from imgsearch.config import default_data_dir, default_index_dir
from imgsearch.errors import NotIndexed
from imgsearch.index import Index
from imgsearch.models.embedder import Embedder
from imgsearch.models.encoder import Encoder
from imgsearch.query.expression import Hits, Query
from imgsearch.regions.label_suspects import SuspectReport
from imgsearch.server import files
from imgsearch.server.batching import Batcher, TextBatcher
from imgsearch.server.encoding import BatchedEncoder, ServingImages
from imgsearch.server.errors import ApiError
from imgsearch.server.fetch import AddressPolicy, fetch_image
from imgsearch.server.jobs import Jobs, JobState
from imgsearch.server.pictures import Pictures
from imgsearch.server.previews import Preprocessing, previews
from imgsearch.server.reports import DuplicateReports
from imgsearch.server.settings import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    ServerSettings,
)
from imgsearch.store import Failure, ImageRecord
from imgsearch.types import Box

log = logging.getLogger("imgsearch.server")
ImageInput = bytes | ImageRecord
"""An image a request names: uploaded (or fetched) bytes, or an indexed image."""

"""Context around a region's box in its thumbnail, as a share of the box's size."""


class Service:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.index_path: str = os.fspath(settings.index or default_index_dir(os.environ))
        model = settings.model_settings()
        # Indexed files are read as `imgsearch index` reads them (one verdict per file);
        # images sent by clients get Azure's limits as well, on every route.
        self.decode = model.decode
        self.request_decode = replace(
            self.decode,
            max_file_bytes=MAX_IMAGE_BYTES,
            min_side=MIN_IMAGE_SIDE,
            max_side=MAX_IMAGE_SIDE,
        )
        self.index = Index.open(
            self.index_path, model=model, create=True, pool_size=settings.db_pool_size
        )
        if isinstance(self.encoder, Embedder):
            self.encoder.set_text_threads(text_threads(settings.text_threads, self.encoder))
        self.lock = threading.Lock()
        self.reports = DuplicateReports(self.index)
        """Duplicates reports, made in the background one at a time (each holds every
        vector of the index in memory) and kept until the index changes."""
        self.texts = TextBatcher(lambda texts: self.encoder.embed_texts(texts))
        self.images: Batcher[NDArray[np.float32]] = Batcher(
            lambda pixels: self.encoder.embed_pixels(np.stack(pixels)),
            max_batch=self.index.images.batch_size,
            name="image",
        )
        self.serving = ServingImages(
            self.index.images,
            BatchedEncoder(self.encoder, texts=self.texts, images=self.images),
            request_decode=self.request_decode,
            open_indexed=self._open_indexed,
        )
        """Requests' images and texts: the index's pipeline with the upload limits, its
        model calls batched with other requests' (:mod:`imgsearch.server.encoding`)."""
        self.jobs = Jobs(
            self.index_path,
            lambda: self.index.images,
            lambda: self.index.changed(),
            read_text=settings.ocr,
        )
        self._configured_roots = files.RealRoots(settings.roots)
        self.thumbnails = (
            settings.thumbnail_cache or self.index.thumbnail_folder(default_data_dir(os.environ))
        ).expanduser()
        self.pictures = Pictures(self.index, self.thumbnails, self.open_file)
        # URL fetches wait on other servers: their own threads, so that slow ones cannot
        # occupy the pool that rankings and file reads share.
        self.url_policy = AddressPolicy(settings.url_allow)
        self._fetches = ThreadPoolExecutor(
            settings.max_concurrent_fetches, thread_name_prefix="imgsearch-fetch"
        )

    @property
    def encoder(self) -> Encoder:
        """The served model itself (background index runs use it as it is)."""
        return self.index.encoder

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def close(self) -> None:
        self.texts.close()
        self.images.close()
        self._fetches.shutdown(wait=False, cancel_futures=True)
        with self.lock:
            self.index.close()

    # -- vectors -------------------------------------------------------------------------

    def embed_images(
        self, images: Sequence[ImageInput], boxes: Sequence[Box | None] | None = None
    ) -> NDArray[np.float32]:
        """Decoded by the serving pipeline (several at once on the decode threads, and
        never more at once than ``max_concurrent_decodes`` server-wide), then run by the
        vision tower together with other requests' images. The first bad image raises."""
        sources = [image.path if isinstance(image, ImageRecord) else image for image in images]
        return self.serving.embed_images(sources, boxes)

    def _open_indexed(self, path: str) -> BinaryIO:
        try:
            record = self.index.find(path)
        except NotIndexed:
            raise ApiError(404, "NotFound", "the image is no longer indexed") from None
        return self.open_file(record)

    async def fetch(self, url: str) -> bytes:
        """The image at ``url``, fetched on the fetch threads (see :mod:`.fetch`)."""
        future = self._fetches.submit(
            fetch_image,
            url,
            policy=self.url_policy,
            max_bytes=MAX_IMAGE_BYTES,
            timeout=self.settings.url_timeout,
        )
        return await asyncio.wrap_future(future)

    async def embed_texts_async(self, texts: list[str]) -> NDArray[np.float32]:
        return await self.texts.encode_async(texts)

    # -- searching and reading -------------------------------------------------------------

    async def search(self, query: Query) -> Hits:
        """Ranked hits of ``query``, awaited on the event loop: texts are encoded in batches
        with other requests' and no thread waits for them; the ranking (and any image of
        the query) is the only work handed to a pool thread, and rankings run concurrently
        (both stores read safely from several threads)."""
        texts = _texts(query) if self.encoder.supports_text else []
        encoded = {}
        if texts:
            encoded = dict(zip(texts, await self.texts.encode_async(texts), strict=True))
        return await run_in_threadpool(self._rank, query, encoded)

    def _rank(self, query: Query, text_vectors: dict[str, NDArray[np.float32]]) -> Hits:
        return self.index.search_parsed(
            query, images=self.serving, text_vector=text_vectors.__getitem__
        )

    async def previews(self, records: Sequence[ImageRecord], count: int) -> Mapping[int, str]:
        """The inline previews of the first ``count`` of ``records`` that have one
        (:mod:`imgsearch.server.previews`), read on a pool thread."""
        model = Preprocessing.of(self.encoder.preprocessing)
        return await run_in_threadpool(previews, self.index, records, count, model)

    def get(self, image_id: int) -> ImageRecord:
        return self.index.get(image_id)

    def annotate(self, image_id: int, *, caption: str | None, tags: list[str]) -> ImageRecord:
        return self.index.annotate(image_id, caption=caption, tags=tags)

    def label_suspects(self, limit: int, prompt: str, source: str | None) -> SuspectReport:
        """Labelled regions the served model disagrees with (see :mod:`imgsearch.regions.label_suspects`)."""
        return self.index.label_suspects(limit=limit, prompt=prompt, source=source)

    def failures(self, limit: int, offset: int) -> tuple[int, list[Failure]]:
        """A page of the files that could not be indexed, and how many there are."""
        with self.lock:
            return self.index.status().failures, self.index.failures(limit=limit, offset=offset)

    def status(self) -> dict[str, Any]:
        """The index's overview — the fields ``imgsearch status --json`` prints
        (:mod:`imgsearch.indexer.status`) — with this server's job and security."""
        with self.lock:
            overview = self.index.overview()
        fields = overview.as_dict()
        if fields["model"] is None:  # an index not yet bound: the model it will get
            fields.update(model=self.model_id, dim=self.encoder.dim)
        return {
            **fields,
            "job": self.job.as_dict(),
            "security": {
                "api_keys": self.settings.auth_enabled,
                "warning": self.settings.keyless_warning,
            },
        }

    def roots(self) -> list[Path]:
        """Real folders whose files may be served: the configured roots, else those of the
        last index run."""
        if self.settings.roots:
            return self._configured_roots.get()
        with self.lock:
            run = self.index.status().last_run
        return files.real_roots(run.roots if run else [])

    def open_file(self, record: ImageRecord) -> BinaryIO:
        """The indexed file of ``record``, opened; a 404 unless it is still that file, at
        a real location under a root (see :mod:`.files`)."""
        stream = files.open_indexed(record, self.roots())
        if stream is None:
            raise ApiError(404, "NotFound", f"the file of image {record.id} is no longer available")
        return stream

    # -- background jobs ------------------------------------------------------------------

    @property
    def job(self) -> JobState:
        return self.jobs.job

    def start_index_run(self) -> bool:
        """Start bringing the configured roots in step; False if a job is going."""
        return self.jobs.start_index([str(r) for r in self.settings.roots])

    def start_import(self, document: bytes, suffix: str, padding: float) -> bool:
        """Start importing an annotations file for the images under the roots (see
        :meth:`Jobs.start_import`); False if a job is going."""
        return self.jobs.start_import(document, suffix, padding, [str(r) for r in self.roots()])


def text_threads(configured: int | None, embedder: Embedder) -> int | None:
    """The text tower's threads when serving: as configured, else one for int8 models.

    Requests are batched, so under load each model call has several texts. For
    an int8 tower, splitting such small integer matrix products over two
    threads gained ≈ 1.3× speed for ≈ 2× the CPU (synchronisation, spinning),
    and the second core is needed by the HTTP work: one thread served ≈ 30%
    more searches per second at 8 clients for ≈ 0.4 ms more latency alone.
    fp32 products are large enough to share well (one thread: same
    throughput, 1.6× the latency alone), so they keep onnxruntime's default.
    """
    if configured is not None:
        return configured
    return 1 if embedder.precision == "int8" else None


def _texts(query: Query) -> list[str]:
    return list(dict.fromkeys(p.text for p in query.parts if p.text is not None))
