"""The service behind the routes: how it configures the model for serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imgsearch import Embedder
from imgsearch.server.service import text_threads


def test_int8_text_towers_serve_on_one_thread_unless_configured() -> None:
    fp32 = Embedder("demo-shapes", offline=True)
    int8 = Embedder("demo-shapes:int8", offline=True)
    assert text_threads(None, int8) == 1
    assert text_threads(None, fp32) is None  # onnxruntime's choice
    assert text_threads(3, int8) == 3 and text_threads(2, fp32) == 2


def test_the_served_model_uses_the_configured_text_threads(make_client: Any) -> None:
    client = make_client(text_threads=1)
    assert client.post("/v1/search", json={"text": "a red circle"}).status_code == 200
    session = client.app.state.service.embedder.text.session
    assert session.get_session_options().intra_op_num_threads == 1
    assert isinstance(client.app.state.service.index_path, str | Path)
