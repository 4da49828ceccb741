"""The model seam: what loads through the registry, and what an encoder must provide."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import imgsearch
from imgsearch import Encoder, ModelSettings, load_encoder, register_encoder
from imgsearch.errors import ModelError
from imgsearch.models.images import ImagePipeline
from imgsearch.models.registry import load_plugins, registered_encoders, unregister_encoder
from tests.conftest import photo
from tests.fakes import DIM, HashEncoder

SRC = Path(imgsearch.__file__).parent


def test_registered_encoders_load_by_name_with_the_settings_asked_for() -> None:
    settings = ModelSettings(name="fake-hash", batch_size=3)
    encoder = load_encoder(settings)
    assert isinstance(encoder, HashEncoder) and isinstance(encoder, Encoder)
    assert ImagePipeline.from_settings(encoder, settings).batch_size == 3
    assert encoder.model_id == "fake-hash"
    assert {"fake-hash", "fake-hash-b"} <= set(registered_encoders())
    other = load_encoder(ModelSettings(name="fake-hash-b"))
    assert other.model_id == "fake-hash-b" and other.dim == encoder.dim


def test_a_registration_can_be_replaced_and_removed() -> None:
    register_encoder("fake-for-this-test", lambda settings: HashEncoder(settings, "x"))
    assert load_encoder(ModelSettings(name="fake-for-this-test")).model_id == "fake-hash-x"
    unregister_encoder("fake-for-this-test")
    assert "fake-for-this-test" not in registered_encoders()


def test_the_shipped_model_loads_as_an_embedder() -> None:
    encoder = load_encoder(ModelSettings(name="demo-shapes", offline=True))
    assert isinstance(encoder, Encoder) and encoder.model_id == "demo-shapes"
    assert encoder.supports_text and encoder.source == "demo-shapes"


def test_the_fake_encoder_is_deterministic_and_similar_for_similar_pictures() -> None:
    encoder = load_encoder(ModelSettings(name="fake-hash"))
    pictures = [photo(64, 48, seed=1), photo(64, 48, seed=1).rotate(2), photo(64, 48, seed=9)]
    pixels = np.stack([encoder.preprocess(p) for p in pictures])
    first, again = encoder.embed_pixels(pixels), encoder.embed_pixels(pixels)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (3, DIM)
    assert first[0] @ first[1] > first[0] @ first[2]
    texts = encoder.embed_texts(["red car", "a red car", "blue sky"])
    assert texts[0] @ texts[1] > texts[0] @ texts[2]


def test_plugin_modules_are_imported_and_a_missing_one_is_a_model_error() -> None:
    load_plugins("tests.fakes, ")
    with pytest.raises(ModelError, match="no_such_plugin"):
        load_plugins("no_such_plugin")


def test_only_the_edges_read_the_environment() -> None:
    readers = re.compile(r"os\.environ|os\.getenv|getenv\(")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.relative_to(SRC).parts[0] not in ("cli", "server")
        and readers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_an_encoder_implements_its_identity_and_three_methods() -> None:
    """The seam stays narrow: reading files, crops, decode bounds and batching are
    imgsearch's own (the image pipeline), so a new model implements only what is its."""
    members = {name for name in vars(Encoder) if not name.startswith("_")}
    methods = {name for name in members if not isinstance(vars(Encoder)[name], property)}
    identity = members - methods
    assert methods == {"preprocess", "embed_pixels", "embed_texts"}
    assert identity == {
        "model_id", "dim", "preprocessing", "source", "input_size", "supports_text", "vocabulary"
    }  # fmt: skip
