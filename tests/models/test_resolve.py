"""Finding and loading models: local folders, the hub cache offline, other layouts, damage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import (
    IncompleteModel,
    ModelError,
    ModelNotCached,
    ModelNotFound,
    UnrecognizedModelLayout,
)
from imgsearch.models.embedder import Embedder
from imgsearch.models.layout import detect_layout, verify_checksums
from imgsearch.models.resolve import resolve_model, split_precision
from imgsearch.models.runtime import choose_providers
from tests.conftest import copy_graph, hub_cache, photo

TEXTS = ["a red circle", "two dogs"]


def reference_vectors(model_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    embedder = Embedder(model_dir)
    return embedder.embed_images([photo(200, 150)]), embedder.embed_texts(TEXTS)


def test_local_folder(clip_model_dir: Path) -> None:
    files = resolve_model(clip_model_dir)
    assert (files.layout, files.model_id, files.dim) == ("imgsearch", "tiny-clip", 24)


def test_hub_repo_from_the_cache_while_offline(clip_model_dir: Path, tmp_path: Path) -> None:
    cache = hub_cache(tmp_path / "hub", "acme/tiny-clip", clip_model_dir)
    files = resolve_model("acme/tiny-clip", hub_cache_dir=cache, offline=True)
    assert files.model_id == "acme/tiny-clip"
    embedder = Embedder(files)
    expected_image, expected_text = reference_vectors(clip_model_dir)
    np.testing.assert_allclose(embedder.embed_texts(TEXTS), expected_text, atol=1e-6)
    np.testing.assert_allclose(embedder.embed_images([photo(200, 150)]), expected_image, atol=1e-6)


def test_uncached_hub_repo_offline_is_model_not_cached(tmp_path: Path) -> None:
    with pytest.raises(ModelNotCached, match="acme/absent is not in the local Hugging Face cache"):
        resolve_model("acme/absent", hub_cache_dir=tmp_path, offline=True)


def test_uncached_catalog_model_offline_is_model_not_cached(tmp_path: Path) -> None:
    with pytest.raises(ModelNotCached, match="Xenova/clip-vit-base-patch32"):
        resolve_model("clip-vit-b-32", hub_cache_dir=tmp_path, offline=True)


def test_unknown_name_lists_the_catalog() -> None:
    with pytest.raises(ModelNotFound, match="unknown model 'clip-vit-z-99'") as caught:
        resolve_model("clip-vit-z-99")
    assert "clip-vit-b-32" in caught.value.hint and "siglip-base-patch16-224" in caught.value.hint


def test_missing_local_folder_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no model folder"):
        resolve_model(str(tmp_path / "nothing" / "here"))


def test_folder_without_a_known_layout(tmp_path: Path) -> None:
    (tmp_path / "random.txt").write_text("hi")
    with pytest.raises(UnrecognizedModelLayout, match="holds no model layout"):
        resolve_model(tmp_path)


def test_transformers_js_layout(
    clip_checkpoint: Path, clip_model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Xenova-style"
    (folder / "onnx").mkdir(parents=True)
    copy_graph(clip_model_dir / "vision.onnx", folder / "onnx" / "vision_model.onnx")
    copy_graph(clip_model_dir / "text.onnx", folder / "onnx" / "text_model.onnx")
    for name in (
        "config.json",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ):
        shutil.copy(clip_checkpoint / name, folder / name)
    files = detect_layout(folder)
    assert (files.layout, files.dim, files.image.size) == ("transformers.js", 24, 64)
    expected_image, expected_text = reference_vectors(clip_model_dir)
    embedder = Embedder(folder)
    np.testing.assert_allclose(embedder.embed_images([photo(200, 150)]), expected_image, atol=1e-6)
    np.testing.assert_allclose(embedder.embed_texts(TEXTS), expected_text, atol=1e-6)


def test_immich_layout(clip_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "immich-style"
    (folder / "visual").mkdir(parents=True)
    (folder / "textual").mkdir()
    copy_graph(clip_model_dir / "vision.onnx", folder / "visual" / "model.onnx")
    copy_graph(clip_model_dir / "text.onnx", folder / "textual" / "model.onnx")
    shutil.copy(clip_model_dir / "tokenizer.json", folder / "textual" / "tokenizer.json")
    manifest = json.loads((clip_model_dir / "manifest.json").read_text())
    image = manifest["image"]
    (folder / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [64, 64],
                "mean": image["mean"],
                "std": image["std"],
                "interpolation": "bicubic",
                "resize_mode": "shortest",
            }
        )
    )
    (folder / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": "<|endoftext|>"})
    )
    (folder / "config.json").write_text(
        json.dumps({"embed_dim": 24, "text_cfg": {"context_length": 77}})
    )
    files = detect_layout(folder)
    assert files.layout == "immich" and files.text_config.pad_to_context
    expected_image, expected_text = reference_vectors(clip_model_dir)
    embedder = Embedder(folder)
    np.testing.assert_allclose(embedder.embed_images([photo(200, 150)]), expected_image, atol=1e-6)
    # Padding to the full context must not change a causal, masked text tower's output.
    np.testing.assert_allclose(embedder.embed_texts(TEXTS), expected_text, atol=1e-5)


def copy_model(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_missing_graph_is_incomplete(clip_model_dir: Path, tmp_path: Path) -> None:
    folder = copy_model(clip_model_dir, tmp_path / "m")
    (folder / "text.onnx").unlink()
    with pytest.raises(IncompleteModel, match=r"text\.onnx is missing"):
        resolve_model(folder)


def test_truncated_graph_is_incomplete(clip_model_dir: Path, tmp_path: Path) -> None:
    folder = copy_model(clip_model_dir, tmp_path / "m")
    data = (folder / "vision.onnx").read_bytes()
    (folder / "vision.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(IncompleteModel, match="the manifest says") as caught:
        resolve_model(folder)
    assert "interrupted" in caught.value.hint


def test_changed_file_fails_its_checksum(clip_model_dir: Path, tmp_path: Path) -> None:
    folder = copy_model(clip_model_dir, tmp_path / "m")
    data = bytearray((folder / "tokenizer.json").read_bytes())
    data[-2] = ord(" ")
    (folder / "tokenizer.json").write_bytes(bytes(data))
    files = resolve_model(folder)
    with pytest.raises(IncompleteModel, match=r"tokenizer\.json fails its checksum"):
        verify_checksums(files)


def test_shipped_checksums_pass(clip_model_dir: Path) -> None:
    verify_checksums(resolve_model(clip_model_dir))


def test_precision_suffix() -> None:
    assert split_precision("clip-vit-b-32:int8", None) == ("clip-vit-b-32", "int8")
    assert split_precision("clip-vit-b-32", "int8") == ("clip-vit-b-32", "int8")
    assert split_precision("acme/model", None) == ("acme/model", "fp32")
    with pytest.raises(ModelError, match="unknown precision 'fp8'"):
        split_precision("clip-vit-b-32", "fp8")


def test_unavailable_provider_is_refused() -> None:
    assert choose_providers()[-1] == "CPUExecutionProvider"
    assert choose_providers(["cpu"]) == ["CPUExecutionProvider"]
    with pytest.raises(ModelError, match="'TensorRT' is not available"):
        choose_providers(["TensorRT"])


def test_an_unreachable_hub_is_not_called_offline_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """huggingface_hub raises LocalEntryNotFoundError when it cannot connect and nothing is
    cached: the user set no offline switch, so none is named."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def unreachable(*args: object, **kwargs: object) -> str:
        raise LocalEntryNotFoundError("cannot reach the hub and nothing is cached")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.raises(ModelNotCached, match="the Hugging Face hub cannot be reached") as caught:
        resolve_model("acme/absent", hub_cache_dir=tmp_path, offline=False)
    assert "HF_HUB_OFFLINE" not in str(caught.value) + caught.value.hint
    with pytest.raises(ModelNotCached, match="offline mode is on"):
        resolve_model("acme/absent", hub_cache_dir=tmp_path, offline=True)
