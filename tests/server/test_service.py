"""The service behind the routes: the model configured for serving, images batched."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from imgsearch import Embedder
from imgsearch.server.service import text_threads
from imgsearch.types import Box
from tests.server.conftest import png_bytes

COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]


def test_int8_text_towers_serve_on_one_thread_unless_configured() -> None:
    fp32 = Embedder("demo-shapes", offline=True)
    int8 = Embedder("demo-shapes:int8", offline=True)
    assert text_threads(None, int8) == 1
    assert text_threads(None, fp32) is None  # onnxruntime's choice
    assert text_threads(3, int8) == 3 and text_threads(2, fp32) == 2


def test_the_served_model_uses_the_configured_text_threads(make_client: Any) -> None:
    client = make_client(text_threads=1)
    assert client.post("/v1/search", json={"text": "a red circle"}).status_code == 200
    session = client.app.state.service.encoder.text.session
    assert session.get_session_options().intra_op_num_threads == 1


def test_images_of_concurrent_requests_embed_as_alone(make_client: Any) -> None:
    service = make_client().app.state.service
    embedder = Embedder("demo-shapes", offline=True)
    images = [png_bytes(40 + 4 * i, 48, colour) for i, colour in enumerate(COLOURS)]
    results: dict[int, Any] = {}

    def ask(i: int) -> None:
        results[i] = service.embed_images([images[i]])[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(images))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = embedder.embed_images(images)
    for i in range(len(images)):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-5)
    many = service.embed_images(images, [None, Box(2, 2, 20, 20), *[None] * (len(images) - 2)])
    np.testing.assert_allclose(many[0], expected[0], atol=1e-5)
    np.testing.assert_allclose(
        many[1], embedder.embed_images([images[1]], [Box(2, 2, 20, 20)])[0], atol=1e-5
    )
