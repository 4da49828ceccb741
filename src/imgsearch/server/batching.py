"""Encoding the texts of concurrent requests together.

One text through a CLIP text tower costs nearly as much as several at once
(the work is dominated by per-call overhead and small matrix shapes), so when
requests arrive together their texts are queued and a single worker encodes
everything waiting in one model call. There is no timer: a lone request is
encoded at once, and batches form only while the model is busy — the
batching that raises throughput without adding latency at low load. Recent
texts are remembered (UIs repeat queries).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np
from numpy.typing import NDArray

Encoder = Callable[[list[str]], NDArray[np.float32]]


class TextBatcher:
    def __init__(self, encode: Encoder, *, max_batch: int = 32, cache_size: int = 1024) -> None:
        self._encode = encode
        self._max_batch = max_batch
        self._queue: deque[tuple[str, Future[NDArray[np.float32]]]] = deque()
        self._wake = threading.Condition()
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._cache_size = cache_size
        self._closed = False
        self.batches = 0  # model calls made, for tests and stats
        self._worker = threading.Thread(
            target=self._run, name="imgsearch-text-batcher", daemon=True
        )
        self._worker.start()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of ``texts`` (``(n, dim)``); errors of a text (empty, …) are raised here."""
        return np.stack([future.result() for future in self.submit(texts)])

    async def encode_async(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """:meth:`encode` for the event loop: waits without holding a thread."""
        futures = [asyncio.wrap_future(future) for future in self.submit(texts)]
        return np.stack(await asyncio.gather(*futures))

    def submit(self, texts: Sequence[str]) -> list[Future[NDArray[np.float32]]]:
        """One future per text, already answered for remembered texts."""
        futures: list[Future[NDArray[np.float32]]] = []
        with self._wake:
            for text in texts:
                future: Future[NDArray[np.float32]] = Future()
                cached = self._cache.get(text)
                if cached is not None:
                    self._cache.move_to_end(text)
                    future.set_result(cached)
                else:
                    self._queue.append((text, future))
                futures.append(future)
            self._wake.notify()
        return futures

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed and not self._queue:
                    return
                taken = [
                    self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))
                ]
            # A caller that gave up (a cancelled request) is skipped; the rest can no longer
            # be cancelled, so answering them cannot fail.
            batch = [item for item in taken if item[1].set_running_or_notify_cancel()]
            if batch:
                self._answer(batch)

    def _answer(self, batch: list[tuple[str, Future[NDArray[np.float32]]]]) -> None:
        texts = list(dict.fromkeys(text for text, _ in batch))
        try:
            vectors = dict(zip(texts, self._encode(texts), strict=True))
            self.batches += 1
        except Exception:
            if len(texts) == 1:
                error = _current_error()
                for _, future in batch:
                    future.set_exception(error)
                return
            # one bad text must not fail the others: encode them one by one
            for text, future in batch:
                self._answer([(text, future)])
            return
        with self._wake:
            for text, vector in vectors.items():
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        for text, future in batch:
            future.set_result(vectors[text])


def _current_error() -> BaseException:
    import sys

    error = sys.exc_info()[1]
    assert error is not None
    return error
