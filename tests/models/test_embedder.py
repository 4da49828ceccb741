"""The Embedder: inputs of every kind, regions, streaming with bad images, texts, int8."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import CorruptImage, ImageNotFound, InputError, InvalidBox, InvalidText
from imgsearch.models.embedder import Embedder
from imgsearch.types import Box
from tests.conftest import photo


def test_vectors_are_unit_length_float32(clip_embedder: Embedder) -> None:
    vectors = clip_embedder.embed_images([photo(seed=1), photo(seed=2)])
    assert vectors.dtype == np.float32 and vectors.shape == (2, clip_embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)


def test_every_source_kind_embeds_identically(clip_embedder: Embedder, tmp_path: Path) -> None:
    image = photo(200, 160)
    path = tmp_path / "p.png"
    image.save(path)
    sources = [
        path,
        str(path),
        path.read_bytes(),
        io.BytesIO(path.read_bytes()),
        image,
        np.asarray(image),
    ]
    vectors = clip_embedder.embed_images(sources)
    np.testing.assert_allclose(vectors, np.repeat(vectors[:1], len(sources), axis=0), atol=1e-6)


def test_region_equals_embedding_the_cropped_image(clip_embedder: Embedder) -> None:
    image = photo(320, 240)
    cropped = image.crop((40, 30, 200, 150))
    by_box = clip_embedder.embed_images([image], [Box(40, 30, 160, 120)])
    by_fraction = clip_embedder.embed_images(
        [image], [Box(0.125, 0.125, 0.5, 0.5, unit="fraction")]
    )
    np.testing.assert_allclose(by_box, clip_embedder.embed_images([cropped]), atol=1e-6)
    np.testing.assert_allclose(by_fraction, by_box, atol=1e-6)


def test_region_with_padding_includes_context(clip_embedder: Embedder) -> None:
    image = photo(320, 240)
    padded = clip_embedder.embed_images([image], [Box(100, 100, 40, 40, padding=0.5)])
    manual = clip_embedder.embed_images([image.crop((80, 80, 160, 160))])
    np.testing.assert_allclose(padded, manual, atol=1e-6)


def test_box_outside_the_image(clip_embedder: Embedder) -> None:
    with pytest.raises(InvalidBox, match="outside the 320x240 image"):
        clip_embedder.embed_images([photo(320, 240)], [Box(300, 0, 50, 50)])


def test_box_count_must_match(clip_embedder: Embedder) -> None:
    with pytest.raises(InputError, match="got 1 boxes for 2 images"):
        clip_embedder.embed_images([photo(), photo()], [None])


def test_first_bad_image_raises_with_its_path(clip_embedder: Embedder, tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    photo().save(good)
    with pytest.raises(ImageNotFound, match=r"missing\.jpg: no such file"):
        clip_embedder.embed_images([good, tmp_path / "missing.jpg"])


def test_streaming_skips_bad_images_and_keeps_order(clip_model_dir: Path, tmp_path: Path) -> None:
    embedder = Embedder(clip_model_dir, batch_size=2, decode_workers=2)
    paths = []
    for i in range(7):
        path = tmp_path / f"{i}.png"
        photo(seed=i).save(path)
        paths.append(path)
    paths[2].write_bytes(paths[2].read_bytes()[:100])  # truncated
    paths[5] = tmp_path / "absent.png"
    outcomes = list(embedder.iter_image_embeddings((p, None) for p in paths))
    assert [o.index for o in outcomes] == list(range(7))
    assert isinstance(outcomes[2].error, CorruptImage)
    assert isinstance(outcomes[5].error, ImageNotFound)
    good = [i for i in range(7) if i not in (2, 5)]
    expected = Embedder(clip_model_dir, decode_workers=0).embed_images([paths[i] for i in good])
    np.testing.assert_allclose(np.stack([outcomes[i].vector for i in good]), expected, atol=1e-6)  # type: ignore[misc]


def test_batching_does_not_change_results(clip_model_dir: Path) -> None:
    images = [photo(seed=i) for i in range(5)]
    one = Embedder(clip_model_dir, batch_size=1, decode_workers=0).embed_images(images)
    many = Embedder(clip_model_dir, batch_size=4, decode_workers=3).embed_images(images)
    np.testing.assert_allclose(one, many, atol=1e-5)


def test_sessions_without_weight_prepacking_give_the_same_vectors(clip_model_dir: Path) -> None:
    """A one-shot command line call starts its sessions without repacking the weights;
    that changes when the work is done, not the vectors."""
    images = [photo(seed=i) for i in range(3)]
    texts = ["a red bicycle", "two dogs on a beach"]
    packed = Embedder(clip_model_dir, decode_workers=0)
    unpacked = Embedder(clip_model_dir, decode_workers=0, prepack=False)
    options = unpacked.text.session.get_session_options()
    assert options.get_session_config_entry("session.disable_prepacking") == "1"
    np.testing.assert_allclose(
        packed.embed_images(images), unpacked.embed_images(images), atol=1e-6
    )
    np.testing.assert_allclose(packed.embed_texts(texts), unpacked.embed_texts(texts), atol=1e-6)


def test_texts_in_any_order_and_a_single_string(clip_embedder: Embedder) -> None:
    texts = ["a long sentence about many different things", "dog", "red circle"]
    vectors = clip_embedder.embed_texts(texts)
    single = np.concatenate([clip_embedder.embed_texts(t) for t in texts])
    np.testing.assert_allclose(vectors, single, atol=1e-5)
    assert clip_embedder.embed_texts("dog").shape == (1, clip_embedder.dim)


def test_truncated_texts_are_reported(clip_embedder: Embedder) -> None:
    result = clip_embedder.embed_texts_checked(["dog", "cat " * 300])
    assert result.truncated == (False, True)


def test_empty_text_is_refused(clip_embedder: Embedder) -> None:
    with pytest.raises(InvalidText, match="text #0 is empty"):
        clip_embedder.embed_texts([""])


def test_int8_is_close_to_fp32_and_named_apart(clip_model_dir: Path, tmp_path: Path) -> None:
    fp32 = Embedder(clip_model_dir)
    int8 = Embedder(f"{clip_model_dir}:int8", cache_dir=tmp_path)
    assert int8.model_id == "tiny-clip:int8" and fp32.model_id == "tiny-clip"
    images = [photo(seed=i) for i in range(4)]
    cosine = np.sum(fp32.embed_images(images) * int8.embed_images(images), axis=1)
    assert cosine.min() > 0.99
    text_cosine = np.sum(
        fp32.embed_texts(["a dog", "a cat"]) * int8.embed_texts(["a dog", "a cat"]), axis=1
    )
    assert text_cosine.min() > 0.99


def test_int8_is_quantised_on_demand_when_not_shipped(
    siglip_model_dir: Path, tmp_path: Path
) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx.external_data_helper import uses_external_data

    embedder = Embedder(siglip_model_dir, precision="int8", cache_dir=tmp_path)
    vector = embedder.embed_texts(["hello"])
    (copy,) = (tmp_path / "int8").rglob("text.onnx")
    # in the layout that loads fast: the weights beside the graph, memory-mapped
    graph = onnx.load(str(copy), load_external_data=False)
    assert any(uses_external_data(tensor) for tensor in graph.graph.initializer)
    assert (copy.parent / "text.onnx.data").stat().st_size > 0
    again = Embedder(siglip_model_dir, precision="int8", cache_dir=tmp_path)
    np.testing.assert_array_equal(again.embed_texts(["hello"]), vector)  # the cached copy


def test_text_threads_apply_to_the_text_session_only(clip_model_dir: Path) -> None:
    embedder = Embedder(clip_model_dir, threads=2, text_threads=1)
    before = embedder.embed_texts(["a dog"])
    assert embedder.text.session.get_session_options().intra_op_num_threads == 1
    assert embedder.vision.session.get_session_options().intra_op_num_threads == 2
    embedder.set_text_threads(None)  # back to `threads`, from a new session
    assert embedder.text.session.get_session_options().intra_op_num_threads == 2
    np.testing.assert_allclose(embedder.embed_texts(["a dog"]), before, atol=1e-6)
    with pytest.raises(InputError, match="at least 1"):
        embedder.set_text_threads(0)
