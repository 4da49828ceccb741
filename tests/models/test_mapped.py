"""Single-file graphs get a cached copy with external weights: made once, the same vectors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from imgsearch.models import mapped
from imgsearch.models.catalog import bundled_folder, get_spec
from imgsearch.models.embedder import Embedder
from imgsearch.models.mapped import mapped_copy

DEMO = bundled_folder(get_spec("demo-shapes").bundled or "")


@pytest.fixture
def single_file_model(tmp_path: Path) -> Path:
    """demo-shapes, whose graphs hold their weights inside (as hub exports do)."""
    folder = tmp_path / "demo-shapes"
    shutil.copytree(DEMO, folder)
    assert not list(folder.glob("*.data"))
    return folder


def test_a_large_single_file_graph_is_copied_once_with_its_weights_beside_it(
    single_file_model: Path, tmp_path: Path
) -> None:
    graph, cache = single_file_model / "text.onnx", tmp_path / "cache"
    copy = mapped_copy(graph, cache, min_bytes=0)
    assert copy != graph and copy.parent.parent == cache / "mapped" and copy.name == graph.name
    data = copy.with_name("text.onnx.data")
    assert data.stat().st_size > 0.9 * graph.stat().st_size > copy.stat().st_size
    written = (copy.stat().st_mtime_ns, data.stat().st_mtime_ns)
    assert mapped_copy(graph, cache, min_bytes=0) == copy  # reused, not written again
    assert (copy.stat().st_mtime_ns, data.stat().st_mtime_ns) == written
    os.utime(graph, ns=(1, 1))  # a re-downloaded model gets a copy of its own
    assert mapped_copy(graph, cache, min_bytes=0) not in (copy, graph)


def test_small_graphs_and_an_unwritable_cache_use_the_original(
    single_file_model: Path, tmp_path: Path
) -> None:
    graph = single_file_model / "text.onnx"
    assert mapped_copy(graph, tmp_path / "cache") == graph  # 16 MB and more only
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    assert mapped_copy(graph, blocked, min_bytes=0) == graph
    assert mapped_copy(tmp_path / "missing.onnx", tmp_path / "cache", min_bytes=0).name == (
        "missing.onnx"
    )


def test_an_embedder_loads_the_copies_and_its_vectors_do_not_change(
    single_file_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pixels = np.random.default_rng(0).random((2, 3, 80, 80), dtype=np.float32)
    texts = ["a red circle", "a large blue star on a white background"]
    plain = Embedder(single_file_model, cache_dir=tmp_path / "plain-cache")
    expected = (plain.embed_texts(texts), plain.embed_pixels(pixels))
    assert not (tmp_path / "plain-cache" / "mapped").exists()
    monkeypatch.setattr(mapped, "MIN_BYTES", 0)
    cached = Embedder(single_file_model, cache_dir=tmp_path / "cache")
    got = (cached.embed_texts(texts), cached.embed_pixels(pixels))
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    copies = sorted(p.name for p in (tmp_path / "cache" / "mapped").glob("*/*"))
    assert copies == ["text.onnx", "text.onnx.data", "vision.onnx", "vision.onnx.data"]
