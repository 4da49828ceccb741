"""Texts of concurrent requests are encoded together, correctly, and errors stay per text."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from numpy.typing import NDArray

from imgsearch.server.batching import Batcher, TextBatcher


def slow_encoder(calls: list[list[str]]) -> object:
    def encode(texts: list[str]) -> NDArray[np.float32]:
        calls.append(list(texts))
        if "bad" in texts:
            raise ValueError("bad text")
        time.sleep(0.05)  # a model call
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)

    return encode


def test_concurrent_texts_share_model_calls_and_get_their_own_vectors() -> None:
    calls: list[list[str]] = []
    batcher = TextBatcher(slow_encoder(calls))  # type: ignore[arg-type]
    results: dict[str, NDArray[np.float32]] = {}

    def ask(text: str) -> None:
        results[text] = batcher.encode([text])[0]

    threads = [threading.Thread(target=ask, args=(f"text number {i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) < 16  # batched
    for text, vector in results.items():
        assert vector.tolist() == [len(text), ord(text[0])]
    batcher.close()


def test_a_failing_text_fails_alone_and_results_are_cached() -> None:
    calls: list[list[str]] = []
    busy, release, queued = threading.Event(), threading.Event(), threading.Semaphore(0)
    encode = slow_encoder(calls)

    def held(texts: list[str]) -> NDArray[np.float32]:
        if texts == ["warm"]:  # keeps the worker busy until the others are queued
            busy.set()
            release.wait(5)
        return encode(texts)  # type: ignore[operator, no-any-return]

    batcher = TextBatcher(held)
    submit = batcher.submit

    def counted(items: list[str]) -> object:
        futures = submit(items)
        queued.release()
        return futures

    batcher.submit = counted  # type: ignore[assignment, method-assign]
    errors: list[BaseException] = []
    good: list[NDArray[np.float32]] = []

    def ask(text: str) -> None:
        try:
            good.append(batcher.encode([text])[0])
        except ValueError as error:
            errors.append(error)

    first = threading.Thread(target=ask, args=("warm",))
    first.start()
    assert busy.wait(5)
    threads = [threading.Thread(target=ask, args=(t,)) for t in ("ok one", "bad", "ok two")]
    for t in threads:
        t.start()
    for _ in range(4):  # "warm" and the three behind it
        assert queued.acquire(timeout=5)
    release.set()
    for t in [first, *threads]:
        t.join()
    assert len(errors) == 1 and len(good) == 3
    before = len(calls)
    assert batcher.encode(["ok one"])[0].tolist() == [6, ord("o")]
    assert len(calls) == before  # from the cache
    with pytest.raises(ValueError, match="bad text"):
        batcher.encode(["bad"])
    batcher.close()


def test_coroutines_wait_for_their_vectors_without_threads_and_share_calls() -> None:
    calls: list[list[str]] = []
    batcher = TextBatcher(slow_encoder(calls))  # type: ignore[arg-type]
    texts = [f"query {i}" for i in range(12)]

    async def ask(batch: list[str]) -> list[object]:
        return await asyncio.gather(
            *(batcher.encode_async([text]) for text in batch), return_exceptions=True
        )

    answers = asyncio.run(ask(texts))
    assert len(calls) < len(texts)  # batched across coroutines
    for text, answer in zip(texts, answers, strict=True):
        assert isinstance(answer, np.ndarray)
        assert answer[0].tolist() == [len(text), ord(text[0])]
    good, bad = asyncio.run(ask(["fine", "bad"]))
    assert isinstance(good, np.ndarray) and good[0].tolist() == [4, ord("f")]
    assert isinstance(bad, ValueError)  # the bad text fails alone
    batcher.close()


def test_a_request_cancelled_while_queued_does_not_stop_the_worker() -> None:
    calls: list[list[str]] = []
    batcher = TextBatcher(slow_encoder(calls))  # type: ignore[arg-type]

    async def scenario() -> NDArray[np.float32]:
        busy = asyncio.ensure_future(batcher.encode_async(["keeps the model busy"]))
        await asyncio.sleep(0.01)
        doomed = asyncio.ensure_future(batcher.encode_async(["given up"]))
        after = asyncio.ensure_future(batcher.encode_async(["asked later"]))
        await asyncio.sleep(0)
        doomed.cancel()  # e.g. the client went away
        await busy
        return await asyncio.wait_for(after, timeout=5)

    assert asyncio.run(scenario())[0].tolist() == [len("asked later"), ord("a")]
    assert ["given up"] not in calls and not any("given up" in call for call in calls)
    assert batcher.encode(["still answering"])[0].tolist() == [15, ord("s")]
    batcher.close()


def test_prepared_images_of_concurrent_callers_share_model_calls() -> None:
    calls: list[int] = []

    def vision(pixels: list[NDArray[np.float32]]) -> NDArray[np.float32]:
        calls.append(len(pixels))
        time.sleep(0.05)  # a model call
        return np.stack([p.reshape(-1)[:2] * 2 for p in pixels])

    batcher: Batcher[NDArray[np.float32]] = Batcher(vision, max_batch=4, name="image")
    results: dict[int, NDArray[np.float32]] = {}

    def ask(i: int) -> None:
        results[i] = batcher.encode([np.full((3, 2, 2), i, dtype=np.float32)])[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) < 10 and max(calls) <= 4  # batched, never over max_batch
    assert {i: v.tolist() for i, v in results.items()} == {i: [2 * i, 2 * i] for i in range(10)}
    batcher.close()
