"""Image-only models (ResNet, DINOv2): exported, loaded, searched by image — and a text
query refused clearly on every interface, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from imgsearch import Embedder, Index, QueryPart
from imgsearch.errors import ModelNotCached, TextNotSupported
from imgsearch.models.layout import detect_layout
from imgsearch.models.preprocess import Preprocessor
from imgsearch.models.resolve import exported_into_cache
from imgsearch.server import ServerSettings, create_app
from tests.cli.test_cli import imgsearch
from tests.conftest import copy_graph, photo

pytestmark = pytest.mark.model  # exports with torch, compares with transformers

SIZES = [(200, 150), (97, 311), (64, 64)]


def _processor(checkpoint: Path) -> Any:
    from transformers import AutoImageProcessor

    return AutoImageProcessor.from_pretrained(checkpoint)


@pytest.mark.parametrize("kind", ["resnet", "dinov2"])
def test_preprocessing_matches_the_models_own_processor(kind: str, request: Any) -> None:
    checkpoint = request.getfixturevalue(f"{kind}_checkpoint")
    model_dir = request.getfixturevalue(f"{kind}_model_dir")
    processor = _processor(checkpoint)
    ours = Preprocessor(detect_layout(model_dir).image)
    for width, height in SIZES:
        image = photo(width, height, seed=width)
        expected = processor(images=image, return_tensors="np")["pixel_values"][0]
        np.testing.assert_allclose(ours(image), expected, atol=1e-4)


@pytest.mark.parametrize("kind", ["resnet", "dinov2"])
def test_vectors_are_the_torch_models_pooled_features(kind: str, request: Any) -> None:
    import torch
    from transformers import AutoModel

    checkpoint = request.getfixturevalue(f"{kind}_checkpoint")
    embedder = Embedder(request.getfixturevalue(f"{kind}_model_dir"))
    assert not embedder.supports_text and embedder.dim == 32
    images = [photo(160, 120, seed=s) for s in range(3)]
    model = AutoModel.from_pretrained(checkpoint).eval()
    pixels = _processor(checkpoint)(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        features = model(pixel_values=pixels).pooler_output.flatten(1).numpy()
    expected = features / np.linalg.norm(features, axis=1, keepdims=True)
    np.testing.assert_allclose(embedder.embed_images(images), expected, atol=1e-4)
    with pytest.raises(TextNotSupported, match="embeds images only"):
        embedder.embed_texts(["a red circle"])


@pytest.fixture
def indexed(resnet_model_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(6):
        photo(120, 90, seed=seed).save(folder / f"p{seed}.jpg")
    index = tmp_path / "index"
    with Index.open(index, model=str(resnet_model_dir)) as opened:
        opened.update([folder])
    return folder, index


def test_an_image_only_index_searches_by_image_and_refuses_text(
    indexed: tuple[Path, Path],
) -> None:
    folder, index = indexed
    with Index.open(index) as opened:
        hits = opened.search([QueryPart(image=str(folder / "p2.jpg"))], top=1)
        assert hits[0].image.path == str((folder / "p2.jpg").resolve())
        with pytest.raises(TextNotSupported):
            opened.search("a red circle")
    text = imgsearch("search", "a red circle", "--index", str(index))
    assert text.returncode == 2 and "embeds images only" in text.stderr
    assert "--image PATH" in text.stderr and "Traceback" not in text.stderr
    by_image = imgsearch("search", "--image", str(folder / "p3.jpg"), "--index", str(index))
    assert by_image.returncode == 0, by_image.stderr


def test_the_http_apis_refuse_text_for_an_image_only_model(indexed: tuple[Path, Path]) -> None:
    folder, index = indexed
    settings = ServerSettings(index=index, roots=[folder])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        search = client.post("/v1/search", json={"text": "a red circle"})
        assert search.status_code == 400
        assert search.json()["error"]["code"] == "TextNotSupported"
        azure = client.post(
            "/computervision/retrieval:vectorizeText",
            params={"api-version": "2024-02-01"},
            json={"text": "a red circle"},
        )
        assert azure.status_code == 400
        assert azure.json()["error"]["innererror"]["code"] == "TextNotSupported"
        image = client.post(
            "/computervision/retrieval:vectorizeImage",
            params={"api-version": "2024-02-01"},
            content=(folder / "p1.jpg").read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert image.status_code == 200 and len(image.json()["vector"]) == 32


def test_the_transformers_js_layout_of_an_image_only_model(
    dinov2_model_dir: Path, dinov2_checkpoint: Path, tmp_path: Path
) -> None:
    # as Xenova/dinov2-small publishes it: onnx/model.onnx, config.json, preprocessor_config.json
    published = tmp_path / "dinov2-js"
    (published / "onnx").mkdir(parents=True)
    copy_graph(dinov2_model_dir / "vision.onnx", published / "onnx" / "model.onnx")
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copyfile(dinov2_checkpoint / name, published / name)
    files = detect_layout(published)
    assert files.layout == "transformers.js-vision" and files.text is None
    assert files.dim == json.loads((dinov2_checkpoint / "config.json").read_text())["hidden_size"]
    images = [photo(100, 80, seed=4)]
    np.testing.assert_allclose(
        Embedder(published).embed_images(images),
        Embedder(dinov2_model_dir).embed_images(images),
        atol=1e-6,
    )


def test_a_checkpoint_is_converted_once_into_the_cache(
    resnet_checkpoint: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "cache" / "models" / "resnet-test"
    with pytest.raises(ModelNotCached, match="not been converted yet"):
        exported_into_cache(str(resnet_checkpoint), folder, "resnet-test", offline=True)
    assert exported_into_cache(str(resnet_checkpoint), folder, "resnet-test", offline=False)
    made = (folder / "manifest.json").stat().st_mtime_ns
    exported_into_cache(str(resnet_checkpoint), folder, "resnet-test", offline=True)
    assert (folder / "manifest.json").stat().st_mtime_ns == made  # not converted again
    assert Embedder(folder).model_id == "resnet-test"
