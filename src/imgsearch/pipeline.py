"""Ordered, bounded parallel map: the overlap of image decoding with inference.

PIL releases the GIL while decoding and resizing and onnxruntime releases it
while running a graph, so plain threads give real parallelism here. The window
bounds memory: at most ``window`` decoded images wait for the model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int, window: int
) -> Iterator[Future[R]]:
    """Yield futures of ``fn(item)`` in input order, keeping at most ``window`` in flight.

    Futures are yielded done; calling ``.result()`` re-raises that item's error,
    so the caller decides whether one bad item stops the whole run.
    """
    if workers <= 0:
        for item in items:
            future: Future[R] = Future()
            try:
                future.set_result(fn(item))
            except Exception as exc:
                future.set_exception(exc)
            yield future
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imgsearch-decode") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                head = pending.popleft()
                head.exception()  # wait for it
                yield head
        while pending:
            head = pending.popleft()
            head.exception()
            yield head
