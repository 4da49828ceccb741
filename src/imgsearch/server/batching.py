"""Running the model inputs of concurrent requests together.

A model call on several inputs costs less per input than one call each: a
CLIP text tower's per-call overhead and small matrix shapes dominate a single
query (batches of 8 texts cost ≈ 2–3× one text, not 8×), and the vision tower
runs ≈ 30% more images per second in batches of 8 than one at a time. So the
inputs of concurrent requests are queued and one worker thread runs
everything waiting in one call. There is no timer: a lone request is run at
once, and batches form only while the model is busy — the batching that
raises throughput without adding latency at low load. Batches are filled
round-robin across requests, one input of each waiting request in turn: a
request with 256 texts cannot make a one-text search wait for all of them.

:class:`Batcher` takes already prepared inputs (preprocessed pixels: decoding
stays in the requests' own threads, in parallel); :class:`TextBatcher` adds a
memory of recent texts (UIs repeat queries) and encodes a repeated text once.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

Item = TypeVar("Item")
Vector = NDArray[np.float32]
Encoder = Callable[[list[Item]], Vector]


class Batcher(Generic[Item]):
    """One worker thread running ``encode`` on whatever inputs are waiting, up to ``max_batch``."""

    def __init__(self, encode: Encoder[Item], *, max_batch: int = 32, name: str = "model") -> None:
        self._encode = encode
        self._max_batch = max_batch
        # one queue per request, each a queue of its inputs still waiting
        self._queue: deque[deque[tuple[Item, Future[Vector]]]] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self.batches = 0  # model calls made, for tests and stats
        self._worker = threading.Thread(
            target=self._run, name=f"imgsearch-{name}-batcher", daemon=True
        )
        self._worker.start()

    def encode(self, items: Sequence[Item]) -> Vector:
        """Vectors of ``items`` (``(n, dim)``); the error of an item (empty text, …) is raised here."""
        return np.stack([future.result() for future in self.submit(items)])

    async def encode_async(self, items: Sequence[Item]) -> Vector:
        """:meth:`encode` for the event loop: waits without holding a thread."""
        futures = [asyncio.wrap_future(future) for future in self.submit(items)]
        return np.stack(await asyncio.gather(*futures))

    def submit(self, items: Sequence[Item]) -> list[Future[Vector]]:
        """One future per item."""
        futures: list[Future[Vector]] = []
        waiting: deque[tuple[Item, Future[Vector]]] = deque()
        with self._wake:
            for item in items:
                future: Future[Vector] = Future()
                if not self._answer_early(item, future):
                    waiting.append((item, future))
                futures.append(future)
            if waiting:
                self._queue.append(waiting)
                self._wake.notify()
        return futures

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _answer_early(self, item: Item, future: Future[Vector]) -> bool:
        """Answer ``future`` without the model if possible (called holding the lock)."""
        return False

    def _remember(self, items: list[Item], vectors: Vector) -> None:
        """Called with every batch the model answered (holding the lock)."""

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed and not self._queue:
                    return
                taken = self._take()
            # A caller that gave up (a cancelled request) is skipped; the rest can no longer
            # be cancelled, so answering them cannot fail.
            batch = [item for item in taken if item[1].set_running_or_notify_cancel()]
            if batch:
                self._answer(batch)

    def _take(self) -> list[tuple[Item, Future[Vector]]]:
        """Up to ``max_batch`` inputs, one from each waiting request in turn (holding the lock)."""
        taken: list[tuple[Item, Future[Vector]]] = []
        while self._queue and len(taken) < self._max_batch:
            waiting = self._queue.popleft()
            taken.append(waiting.popleft())
            if waiting:
                self._queue.append(waiting)
        return taken

    def _answer(self, batch: list[tuple[Item, Future[Vector]]]) -> None:
        items = [item for item, _ in batch]
        try:
            vectors = self._encode(items)
            self.batches += 1
        except Exception:
            if len(batch) == 1:
                error = sys.exc_info()[1]
                assert error is not None
                batch[0][1].set_exception(error)
                return
            # one bad input must not fail the others: run them one by one
            for entry in batch:
                self._answer([entry])
            return
        with self._wake:
            self._remember(items, vectors)
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)


class TextBatcher(Batcher[str]):
    """A :class:`Batcher` of texts that remembers the last ``cache_size`` texts' vectors."""

    def __init__(
        self,
        encode: Encoder[str],
        *,
        max_batch: int = 32,
        cache_size: int = 1024,
    ) -> None:
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = cache_size
        super().__init__(_once_each(encode), max_batch=max_batch, name="text")

    def _answer_early(self, item: str, future: Future[Vector]) -> bool:
        cached = self._cache.get(item)
        if cached is None:
            return False
        self._cache.move_to_end(item)
        future.set_result(cached)
        return True

    def _remember(self, items: list[str], vectors: Vector) -> None:
        for text, vector in zip(items, vectors, strict=True):
            self._cache[text] = vector
            self._cache.move_to_end(text)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def _once_each(encode: Encoder[str]) -> Encoder[str]:
    """``encode`` running each distinct text of a batch once."""

    def run(texts: list[str]) -> Vector:
        distinct = list(dict.fromkeys(texts))
        if len(distinct) == len(texts):
            return encode(texts)
        vectors = dict(zip(distinct, encode(distinct), strict=True))
        return np.stack([vectors[text] for text in texts])

    return run
