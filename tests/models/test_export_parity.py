"""Embeddings from our exported graphs equal the torch models' (normalised, within 1e-5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import ExportError
from imgsearch.models.embedder import Embedder
from imgsearch.models.export import export_checkpoint
from imgsearch.models.layout import MANIFEST_FORMAT, sha256_file
from tests.conftest import photo

pytestmark = pytest.mark.model  # exports models with torch

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TEXTS = ["a red circle", "two dogs playing in the park at sunset", "x"]


def normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def features(output: object) -> np.ndarray:
    tensor = getattr(output, "pooler_output", output)
    return tensor.detach().numpy()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("family", ["clip", "siglip"])
def test_image_and_text_embeddings_match_torch(family: str, request: pytest.FixtureRequest) -> None:
    checkpoint: Path = request.getfixturevalue(f"{family}_checkpoint")
    model_dir: Path = request.getfixturevalue(f"{family}_model_dir")
    model = transformers.AutoModel.from_pretrained(checkpoint).eval()
    processor = transformers.AutoImageProcessor.from_pretrained(checkpoint)
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
    images = [photo(300, 200, seed=1), photo(128, 400, seed=2), photo(64, 64, seed=3)]
    padding = "max_length" if family == "siglip" else True
    tokens = tokenizer(TEXTS, padding=padding, truncation=True, return_tensors="pt")
    if family == "siglip":
        tokens.pop("attention_mask", None)
    with torch.no_grad():
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]
        expected_images = normalise(features(model.get_image_features(pixel_values=pixels)))
        expected_texts = normalise(features(model.get_text_features(**tokens)))

    embedder = Embedder(model_dir, decode_workers=0)
    np.testing.assert_allclose(embedder.embed_images(images), expected_images, atol=1e-5)
    np.testing.assert_allclose(embedder.embed_texts(TEXTS), expected_texts, atol=1e-5)


def test_manifest_records_what_a_loader_needs(clip_model_dir: Path) -> None:
    manifest = json.loads((clip_model_dir / "manifest.json").read_text())
    assert manifest["format"] == MANIFEST_FORMAT
    assert manifest["model_id"] == "tiny-clip"
    assert manifest["dim"] == 24
    assert manifest["image"]["size"] == 64
    assert manifest["text"]["context_length"] == 77
    assert manifest["export"]["torch"].startswith("2.13")
    # the faster TorchScript graph for the vision tower, dynamo for the dynamic-length text
    assert manifest["export"]["exporters"] == {"vision": "torchscript", "text": "dynamo"}
    for name, entry in manifest["files"].items():
        assert sha256_file(clip_model_dir / name) == entry["sha256"]
    assert {"vision.onnx", "text.onnx", "tokenizer.json", "vision.int8.onnx"} <= set(
        manifest["files"]
    )
    # every graph keeps its weights beside it, memory-mapped when a session starts
    graphs = [name for name in manifest["files"] if name.endswith(".onnx")]
    assert all(f"{graph}.data" in manifest["files"] for graph in graphs)
    # ... and as readable as the graph (onnx writes it for its owner only)
    for graph in graphs:
        mode = (clip_model_dir / graph).stat().st_mode & 0o777
        assert (clip_model_dir / f"{graph}.data").stat().st_mode & 0o777 == mode


def test_both_model_layouts_give_bit_identical_vectors(
    clip_model_dir: Path, tmp_path: Path
) -> None:
    """The same model with its weights inside each graph (one file) embeds exactly as
    the exported layout (weights in external data files)."""
    import shutil

    import onnx

    from imgsearch.models.layout import write_manifest

    single = tmp_path / "single-file"
    single.mkdir()
    manifest = json.loads((clip_model_dir / "manifest.json").read_text())
    names = [name for name in manifest["files"] if not name.endswith(".data")]
    for name in names:
        if name.endswith(".onnx"):
            onnx.save(onnx.load(str(clip_model_dir / name)), str(single / name))  # one file
        else:
            shutil.copyfile(clip_model_dir / name, single / name)
    write_manifest(single, {k: v for k, v in manifest.items() if k != "files"}, names)
    assert not list(single.glob("*.data"))
    images = [photo(seed=n) for n in range(3)]
    for precision in ("fp32", "int8"):
        mapped = Embedder(clip_model_dir, precision=precision, decode_workers=0)
        inline = Embedder(single, precision=precision, decode_workers=0)
        assert np.array_equal(mapped.embed_images(images), inline.embed_images(images))
        assert np.array_equal(mapped.embed_texts(TEXTS), inline.embed_texts(TEXTS))


def test_export_refuses_non_clip_checkpoints(tmp_path: Path) -> None:
    config = transformers.BertConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64
    )
    transformers.BertModel(config).save_pretrained(tmp_path / "bert")
    with pytest.raises(ExportError):
        export_checkpoint(tmp_path / "bert", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_of_a_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot load checkpoint"):
        export_checkpoint(tmp_path / "absent", tmp_path / "out")


def test_vision_export_falls_back_to_dynamo_when_tracing_fails(
    clip_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise ExportError("tracing is not supported here")

    monkeypatch.setattr("imgsearch.models.export._export_torchscript", refuse)
    report = export_checkpoint(clip_checkpoint, tmp_path / "out", model_id="tiny-clip")
    assert report.manifest["export"]["exporters"]["vision"] == "dynamo"
    assert report.vision_max_diff < 1e-4
