"""What the HTTP layer talks to: the index, its model, background index runs, thumbnails.

Searches run concurrently: query texts are encoded in batches with other
requests' (:mod:`imgsearch.server.batching`), then each ranking runs in a
pool thread, reading the store and the vector index side by side (both are
safe for concurrent readers). An index run gets its own ``Index`` (its own
connection) sharing the model, so searches keep answering, and see each
committed batch, while it writes.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from starlette.concurrency import run_in_threadpool

from imgsearch.config import default_data_dir, default_index_dir, hub_offline
from imgsearch.embedder import Embedder
from imgsearch.index import Index
from imgsearch.indexer import IndexEvent
from imgsearch.media.decode import DecodeOptions, ImageSource, load_rgb
from imgsearch.pipeline import ordered_map
from imgsearch.search import Hit, Query
from imgsearch.server.batching import Batcher, TextBatcher
from imgsearch.server.settings import ServerSettings
from imgsearch.store import ImageRecord
from imgsearch.store.postgres import is_postgres_url
from imgsearch.types import Box

log = logging.getLogger("imgsearch.server")
THUMBNAIL_SIZES = range(16, 1025)


@dataclass
class JobState:
    """Progress of the background index run (one at a time)."""

    state: str = "idle"  # idle | running | done | failed
    roots: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Service:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.index_path: str = os.fspath(settings.index or default_index_dir())
        self.decode = DecodeOptions(max_pixels=settings.max_pixels)
        self.index = Index.open(
            self.index_path,
            model=settings.model,
            create=True,
            pool_size=settings.db_pool_size,
            decode=self.decode,
            offline=hub_offline(),
        )
        self.embedder.set_text_threads(text_threads(settings.text_threads, self.embedder))
        self.lock = threading.Lock()
        self.texts = TextBatcher(lambda texts: self.embedder.embed_texts(texts))
        self.images: Batcher[NDArray[np.float32]] = Batcher(
            lambda pixels: self.embedder.embed_pixels(np.stack(pixels)),
            max_batch=self.embedder.batch_size,
            name="image",
        )
        self.job = JobState()
        self._job_lock = threading.Lock()
        self.thumbnails = (settings.thumbnail_cache or self._default_thumbnails()).expanduser()

    def _default_thumbnails(self) -> Path:
        if is_postgres_url(self.index_path):
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.index.store.location).strip("-")
            return default_data_dir() / "thumbnails" / name[-100:]
        return Path(self.index_path).expanduser() / "thumbnails"

    @property
    def embedder(self) -> Embedder:
        return self.index.embedder

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def close(self) -> None:
        self.texts.close()
        self.images.close()
        with self.lock:
            self.index.close()

    # -- vectors -------------------------------------------------------------------------

    def embed_images(
        self, images: Sequence[ImageSource], boxes: Sequence[Box | None] | None = None
    ) -> NDArray[np.float32]:
        """Decoded here (several at once on the embedder's decode threads), then run by the
        vision tower together with other requests' images. The first bad image raises."""
        pairs = list(zip(images, boxes or [None] * len(images), strict=True))
        if len(pairs) == 1:
            pixels = [self.embedder.prepare_image(*pairs[0])]
        else:
            futures = ordered_map(
                lambda pair: self.embedder.prepare_image(*pair),
                pairs,
                workers=self.embedder.decode_workers,
                window=len(pairs),
            )
            pixels = [future.result() for future in futures]
        return self.images.encode(pixels)

    def embed_texts(self, texts: list[str]) -> NDArray[np.float32]:
        return self.texts.encode(texts)

    async def embed_texts_async(self, texts: list[str]) -> NDArray[np.float32]:
        return await self.texts.encode_async(texts)

    # -- searching and reading -------------------------------------------------------------

    async def search(self, query: Query) -> list[Hit]:
        """Ranked hits of ``query``, awaited on the event loop: texts are encoded in batches
        with other requests' and no thread waits for them; the ranking (and any image of
        the query) is the only work handed to a pool thread, and rankings run concurrently
        (both stores read safely from several threads)."""
        texts = _texts(query)
        encoded = {}
        if texts:
            encoded = dict(zip(texts, await self.texts.encode_async(texts), strict=True))
        return await run_in_threadpool(self._rank, query, encoded)

    def _rank(self, query: Query, text_vectors: dict[str, NDArray[np.float32]]) -> list[Hit]:
        vector = self.index.query_vector(
            query.parts, text_vectors=text_vectors, embed_pixels=self.images.encode
        )
        return self.index.rank(vector, query)

    def get(self, image_id: int) -> ImageRecord:
        return self.index.get(image_id)

    def status(self) -> dict[str, Any]:
        with self.lock:
            stats = self.index.status()
        run = stats.last_run
        return {
            "index": self.index.store.location,
            "model": self.model_id,
            "dim": self.embedder.dim,
            "images": stats.images,
            "vectors": stats.vectors,
            "failures": stats.failures,
            "bytes_on_disk": stats.bytes_on_disk,
            "vector_index": stats.vector_index,
            "last_run": None
            if run is None
            else {
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "roots": list(run.roots),
                "completed": run.completed,
            },
            "job": self.job.as_dict(),
        }

    def servable_path(self, record: ImageRecord) -> Path | None:
        """The file of ``record`` if it lies under an indexed root and still exists."""
        roots = [str(r.expanduser().resolve()) for r in self.settings.roots]
        if not roots:
            with self.lock:
                run = self.index.status().last_run
            roots = list(run.roots) if run else []
        path = Path(record.path)
        inside = any(path.is_relative_to(root) for root in roots)
        return path if inside and path.is_file() else None

    def thumbnail(self, record: ImageRecord, path: Path, size: int) -> Path:
        """A JPEG at most ``size`` px on its long side, made once and kept (keyed by content)."""
        target = self.thumbnails / f"{record.id}-{size}-{record.digest[:16]}.jpg"
        if target.is_file():
            return target
        image = load_rgb(path, options=self.decode)
        image.thumbnail((size, size))
        self.thumbnails.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        image.save(temporary, "JPEG", quality=85)
        temporary.replace(target)
        return target

    # -- background index runs ----------------------------------------------------------

    def start_index_run(self) -> bool:
        """Start bringing the configured roots in step; False if a run is going."""
        with self._job_lock:
            if self.job.state == "running":
                return False
            roots = [str(r) for r in self.settings.roots]
            self.job = JobState(state="running", roots=roots, started_at=time.time())
        threading.Thread(
            target=self._run, args=(roots,), name="imgsearch-index", daemon=True
        ).start()
        return True

    def _run(self, roots: list[str]) -> None:
        job = self.job

        def progress(event: IndexEvent) -> None:
            job.done, job.total = event.done, event.total

        try:
            with Index.open(self.index_path, embedder=self.embedder) as writer:
                report = writer.update(roots, on_event=progress)
            job.counts = dict(report.counts)
            job.state = "done"
        except Exception as exc:  # reported through GET /v1/index, and logged
            log.exception("index run failed")
            job.error = str(exc)
            job.state = "failed"
        finally:
            job.finished_at = time.time()


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
