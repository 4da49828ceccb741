"""User input that once made a 500, a stall or a memory spike: now a fast 4xx."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch.server.settings import MAX_TEXT_CHARS
from tests.media.torture import raw_png
from tests.server.conftest import LocalServer, png_bytes

V = {"api-version": "2024-02-01"}
JSON = {"Content-Type": "application/json"}


def _status(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_an_oversized_text_is_refused_at_once(client: TestClient) -> None:
    huge = "word " * 3_000_000  # 15 MB: once 45 s of tokenising and 4.7 GB of RSS
    started = time.monotonic()
    assert client.post("/v1/vectorize", json={"texts": [huge]}).status_code == 422
    assert client.post("/v1/search", json={"text": huge}).status_code == 422
    assert time.monotonic() - started < 10
    one_word = "x" * (MAX_TEXT_CHARS + 1)  # within Azure's 70 words, over the characters
    azure = client.post(
        "/computervision/retrieval:vectorizeText", params=V, json={"text": one_word}
    )
    assert azure.status_code == 400
    assert azure.json()["error"]["innererror"]["code"] == "TextTooLong"


def test_a_big_request_does_not_starve_a_small_search(client: TestClient) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    gate, busy, small_queued = threading.Event(), threading.Event(), threading.Event()
    original, submit = service.texts._encode, service.texts.submit

    def slow(texts: list[str]) -> Any:
        busy.set()
        gate.wait(5)  # hold the model while both requests queue,
        time.sleep(0.05)  # then make every model call take a while (a slow model)
        return original(texts)

    def watched(items: list[str]) -> Any:
        futures = submit(items)
        if "one blue star" in items:
            small_queued.set()
        return futures

    service.texts._encode = slow
    service.texts.submit = watched
    finished: dict[str, float] = {}

    def big() -> None:
        texts = [f"a scene with {i} red circles" for i in range(256)]
        assert client.post("/v1/vectorize", json={"texts": texts}).status_code == 200
        finished["big"] = time.monotonic()

    def small() -> None:
        assert client.post("/v1/search", json={"text": "one blue star"}).status_code == 200
        finished["small"] = time.monotonic()

    try:
        threads = [threading.Thread(target=big), threading.Thread(target=small)]
        threads[0].start()
        assert busy.wait(10)  # the big request's first batch is in the model, the rest queued
        threads[1].start()
        assert small_queued.wait(10)
        gate.set()
        for thread in threads:
            thread.join(30)
    finally:
        service.texts._encode = original
        service.texts.submit = submit
    # 256 texts take 8 model calls; the search rode in the first or second of them.
    assert finished["small"] < finished["big"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "\ud800"},
        {"text": "ok", "not": ["\udfff"]},
        {"text": "ok", "filters": {"under": ["/photos/\ud800"]}},
        {"text": "ok", "filters": {"formats": ["\ud800"]}},
    ],
)
def test_lone_surrogates_are_bad_input(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/v1/search", content=json.dumps(body), headers=JSON)  # "\\ud800"
    assert response.status_code in (400, 422)


def test_lone_surrogate_in_azure_text(client: TestClient) -> None:
    response = client.post(
        "/computervision/retrieval:vectorizeText",
        params=V,
        content=json.dumps({"text": "a \ud800 b"}),
        headers=JSON,
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "filters",
    [
        {"under": [f"/photos/{i}" for i in range(1500)]},
        {"min_width": 2**63},
        {"min_height": 2**64},
    ],
)
def test_filters_out_of_range_are_refused(client: TestClient, filters: dict[str, Any]) -> None:
    assert client.post("/v1/search", json={"text": "x", "filters": filters}).status_code == 422


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_are_usable(client: TestClient, day: str) -> None:
    for name in ("after", "before"):
        response = client.post("/v1/search", json={"text": "x", "filters": {name: day}})
        assert response.status_code == 200, response.text


def test_an_image_declaring_an_absurd_shape_is_refused_before_decoding(
    client: TestClient,
) -> None:
    sliver = raw_png(1, 83_886_338, 8, 0)  # 284 bytes; once ~730 MB before being refused
    encoded = base64.b64encode(sliver).decode()
    assert _status(client.post("/v1/search", json={"parts": [{"image_base64": encoded}]})) == (
        400,
        "InvalidImageDimensions",
    )
    azure = client.post(
        "/computervision/retrieval:vectorizeImage",
        params=V,
        content=sliver,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert azure.status_code == 400
    assert azure.json()["error"]["innererror"]["code"] == "InvalidImageDimension"


@pytest.mark.parametrize(
    "url", ["http://bücher.invalid/bild.png", "http://[::1", "http://169.254.169.254/latest"]
)
def test_url_errors_say_not_accessible_and_nothing_more(client: TestClient, url: str) -> None:
    response = client.post("/v1/search", json={"parts": [{"image_url": url}]})
    assert _status(response) == (400, "InvalidImageUrl")
    message = response.json()["error"]["message"]
    assert "169.254" not in message and "Errno" not in message and "resolve" not in message


def test_a_redirect_to_a_non_ascii_location_is_no_500(
    make_client: Any, local_server: LocalServer
) -> None:
    client = make_client(url_allow=["127.0.0.1"])
    url = local_server.url("/redirect?to=http://ünïcode.invalid/x.png")
    assert _status(client.post("/v1/search", json={"parts": [{"image_url": url}]})) == (
        400,
        "InvalidImageUrl",
    )


def test_slow_url_fetches_do_not_hold_up_other_requests(
    make_client: Any, local_server: LocalServer
) -> None:
    client = make_client(url_allow=["127.0.0.1"], url_timeout=10.0)
    local_server.gate = threading.Event()  # /slow answers only when the gate opens
    url = local_server.url("/slow")
    threads = [
        threading.Thread(
            target=lambda: client.post("/v1/search", json={"parts": [{"image_url": url}]})
        )
        for _ in range(45)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(local_server.hits) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        assert client.get("/v1/status").status_code == 200
        assert client.get("/v1/images/1").status_code == 200
        assert time.monotonic() - started < 2.0  # with 45 fetches waiting on a slow server
    finally:
        local_server.gate.set()
        for thread in threads:
            thread.join(30)


def test_uploads_are_decoded_a_few_at_a_time(make_client: Any) -> None:
    client = make_client(max_concurrent_decodes=1)
    service = client.app.state.service  # type: ignore[attr-defined]
    with service.index.images.decode_slot():  # the one slot taken: an upload waits for it
        finished = threading.Event()

        def upload() -> None:
            encoded = base64.b64encode(png_bytes()).decode()
            client.post("/v1/search", json={"parts": [{"image_base64": encoded}]})
            finished.set()

        thread = threading.Thread(target=upload)
        thread.start()
        assert not finished.wait(0.5)
    assert finished.wait(10)
    thread.join()


def test_the_server_hands_freed_memory_back_on_its_schedule(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Threads leave freed holes in the heaps; every ``memory_trim_seconds`` the server
    trims them (what kept its size flat in the soak), and 0 turns it off."""
    trims: list[bool] = []

    def trim() -> bool:
        try:
            asyncio.get_running_loop()
            trims.append(True)  # on the event loop: every request would wait for it
        except RuntimeError:
            trims.append(False)
        return True

    monkeypatch.setattr("imgsearch.server.app.trim_free_memory", trim)
    make_client(memory_trim_seconds=0)
    client = make_client(memory_trim_seconds=0.02)
    deadline = time.monotonic() + 10
    while len(trims) < 3 and time.monotonic() < deadline:
        assert client.get("/v1/status").status_code == 200  # the server serves meanwhile
    assert len(trims) >= 3
    assert not any(trims)  # on a thread of its own, never on the event loop
    client.__exit__(None, None, None)
    stopped = len(trims)
    time.sleep(0.1)
    assert len(trims) == stopped  # the schedule ends with the server


def test_the_server_s_threads_share_few_heaps(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set before the server's threads start (only heaps made later obey it): two by
    default, ``memory_heaps`` to change it, 0 for glibc's own default."""
    limits: list[int] = []
    monkeypatch.setattr("imgsearch.server.app.limit_heaps", limits.append)
    make_client()
    make_client(memory_heaps=0)
    assert limits == [2, 0]
