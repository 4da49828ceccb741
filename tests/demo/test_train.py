"""The training script on a tiny run (seconds), so it cannot rot; and its loss targets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from imgsearch.demo import batches, captions
from imgsearch.demo.shapes import Background, Scene, Thing
from imgsearch.models.embedder import Embedder
from imgsearch.models.layout import detect_layout, verify_checksums

pytestmark = pytest.mark.model  # trains with torch

train = pytest.importorskip("imgsearch.demo.train")
model = pytest.importorskip("imgsearch.demo.model")

TINY = model.DemoModelConfig(
    image_size=32,
    channels=(8, 16),
    strides=(2, 2),
    text_width=16,
    text_layers=1,
    text_heads=2,
    dim=8,
)


def _thing(colour: str, shape: str) -> Thing:
    return Thing(shape, colour, "small", 0.5, 0.5, 0.2, 0.0, (0, 0, 0))


def test_a_text_is_a_positive_for_every_image_it_is_true_of() -> None:
    background = Background("plain", ("white",))
    both = Scene(100, 100, background, (_thing("red", "circle"), _thing("blue", "star")), "png", 0)
    red_only = Scene(100, 100, background, (_thing("red", "circle"),), "png", 0)
    texts = [frozenset({"red circle"}), frozenset({"red circle", "blue star"}), frozenset({"star"})]
    images = [
        captions.scene_atoms(both),
        captions.scene_atoms(red_only),
        captions.crop_atoms(_thing("blue", "star")),
    ]
    truth = batches.truth(texts, images)
    expected = [[1, 1, 0], [1, 1, 0], [1, 0, 1]]  # diagonal always positive
    assert truth.tolist() == expected
    assert batches.truth([frozenset({"red circle", "blue star"})], [images[1]]).tolist() == [[1]]


def test_captions_only_claim_what_the_scene_shows() -> None:
    rng = random.Random(0)
    for i in range(200):
        scene = train.sample_scene(random.Random(i))
        text, claimed = captions.scene_text(scene, rng)
        assert claimed <= captions.scene_atoms(scene), (text, claimed)
        for atom in claimed:
            assert atom.removeprefix("bg:").split()[-1] in text


def test_hard_negatives_are_false_of_their_image_and_bind_one_attribute_wrongly() -> None:
    pool = batches.build_pool(seed=3, count=60, size=16, workers=1)
    rng = random.Random(0)
    swapped = 0
    for i in range(len(pool.scenes)):
        for cropped in (False, True):
            hard = batches.hard_negative(cropped, pool, i, rng, share=1.0)
            assert hard is not None
            text, claimed = hard
            things = [pool.cropped[i]] if cropped else list(pool.scenes[i].things)
            shown = (
                captions.crop_atoms(things[0]) if cropped else captions.scene_atoms(pool.scenes[i])
            )
            assert not claimed <= shown, text  # never true of its own image
            (name,) = claimed
            colour, shape = name.split()
            assert name in text
            # each half is shown by the image; only their binding is wrong ...
            halves = {colour, shape} & {a for t in things for a in (t.colour, t.shape)}
            if len(halves) == 2:
                swapped += 1
            else:  # ... or one attribute of a single object was changed
                assert len(halves) == 1
    assert swapped > 20  # most multi-object scenes get a swapped binding
    assert batches.hard_negative(False, pool, 0, rng, share=0.0) is None


def test_a_batch_adds_hard_negative_texts_after_the_image_texts() -> None:
    pool = batches.build_pool(seed=4, count=40, size=16, workers=1)
    pixels, texts, text_atoms, image_atoms = batches.draw_batch(
        pool, random.Random(1), size=16, crop_share=0.45, hard_negatives=1.0
    )
    assert len(pixels) == len(image_atoms) == 16 and len(texts) == len(text_atoms) > 16
    truth = batches.truth(text_atoms, image_atoms)
    assert truth.shape == (len(texts), 16)
    assert all(truth[k, k] == 1 for k in range(16))
    for row in range(16, len(texts)):  # a hard negative is positive only where it is true
        for column in range(16):
            assert truth[row, column] == (text_atoms[row] <= image_atoms[column])


def _tiny_run(out: Path, seed: int) -> object:
    config = train.TrainConfig(
        seed=seed, scenes=48, steps=3, batch_size=12, eval_images=30, model=TINY
    )
    return train.train(out, config)


@pytest.mark.slow
def test_tiny_training_run_exports_a_loadable_reproducible_model(tmp_path: Path) -> None:
    result = _tiny_run(tmp_path / "a", seed=5)
    files = detect_layout(tmp_path / "a")
    verify_checksums(files)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["model_id"] == "demo-shapes" and manifest["dim"] == 8
    assert manifest["training"]["steps"] == 3 and manifest["training"]["seed"] == 5
    assert set(manifest["evaluation"]) >= {"text_precision", "image_precision", "region_precision"}
    assert manifest["evaluation"] == result.evaluation.to_dict()  # type: ignore[attr-defined]
    assert manifest["image"]["resize"] == "squash" and manifest["image"]["size"] == 32
    assert "forest" not in manifest["vocabulary"]["words"]
    assert {"red", "circle", "striped"} <= set(manifest["vocabulary"]["words"])

    _tiny_run(tmp_path / "b", seed=5)
    first, second = Embedder(tmp_path / "a"), Embedder(tmp_path / "b")
    texts = ["red circle", "a blue star on a plain white background"]
    np.testing.assert_allclose(first.embed_texts(texts), second.embed_texts(texts), atol=1e-5)
    pixels = np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(first.embed_pixels(pixels), second.embed_pixels(pixels), atol=1e-5)
