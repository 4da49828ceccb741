"""The image pipeline: the one way images become vectors, whatever the model."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import ImageError, InvalidBox
from imgsearch.models.images import ImagePipeline
from imgsearch.models.settings import ModelSettings
from imgsearch.types import Box
from tests.conftest import photo
from tests.fakes import DIM, HashEncoder


def _pipeline(**options: object) -> tuple[ImagePipeline, HashEncoder]:
    encoder = HashEncoder(ModelSettings(name="fake-hash"))
    return ImagePipeline(encoder, **options), encoder  # type: ignore[arg-type]


def test_images_stream_in_order_in_batches_and_bad_ones_carry_their_error(
    tmp_path: Path,
) -> None:
    images, encoder = _pipeline(batch_size=3, decode_workers=2)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    sources = [photo(40, 30, seed=n) for n in range(7)]
    sources.insert(4, broken)  # type: ignore[arg-type]
    outcomes = list(images.stream((source, None) for source in sources))
    assert [o.index for o in outcomes] == list(range(8))
    assert isinstance(outcomes[4].error, ImageError) and outcomes[4].vector is None
    alone = [images.embed_images([s])[0] for n, s in enumerate(sources) if n != 4]
    together = [o.vector for o in outcomes if o.vector is not None]
    np.testing.assert_allclose(np.stack(together), np.stack(alone), atol=1e-6)
    # 7 good images in batches of at most 3, cut by the bad one: [0,1,2] [3] | [5,6,7]
    calls = encoder.calls - len(alone)
    assert calls == 3


def test_a_box_is_cut_from_the_upright_picture_and_a_box_outside_is_refused() -> None:
    images, _ = _pipeline()
    picture = photo(80, 60, seed=3)
    by_box = images.embed_images([picture], [Box(10, 5, 40, 30)])
    cut = images.embed_images([picture.crop((10, 5, 50, 35))])
    np.testing.assert_allclose(by_box, cut, atol=1e-6)
    with pytest.raises(InvalidBox):
        images.embed_images([picture], [Box(70, 0, 40, 40)])
    info, regions = images.read_regions(picture, [Box(0, 0, 20, 20), Box(20, 20, 40, 40)])
    assert (info.width, info.height) == (80, 60) and len(regions) == 2
    assert images.embed(regions).shape == (2, DIM) and images.embed([]).shape == (0, DIM)


def test_pipelines_sharing_a_bound_count_their_decodes_together() -> None:
    """A server's request images and its index runs: never more decodes at once than
    ``max_concurrent_decodes``, whichever pipeline asks."""
    first, encoder = _pipeline(max_concurrent_decodes=1)
    second = ImagePipeline(encoder, share_slots_with=first)
    with first.decode_slot():
        done = threading.Event()
        thread = threading.Thread(target=lambda: (second.read_image(photo(20, 20)), done.set()))
        thread.start()
        assert not done.wait(0.3)  # waits for the one slot
    assert done.wait(10)
    thread.join()


def test_a_source_read_in_order_is_read_behind_the_model_and_stops_with_its_reader() -> None:
    images, _ = _pipeline(batch_size=2)
    produced: list[int] = []

    def frames() -> Iterator[int]:
        for n in range(100):
            produced.append(n)
            yield n

    batches = images.read_behind(frames(), lambda n: np.full((3, 8, 8), n, np.float32))
    items, pixels = next(batches)
    assert items == [0, 1] and [float(p[0, 0, 0]) for p in pixels] == [0.0, 1.0]
    batches.close()  # the reader stops early: so does the thread, within a timeout
    time.sleep(0.5)
    assert len(produced) < 20

    def failing() -> Iterator[int]:
        yield 1
        raise ImageError("went bad midway", source="video.mp4")

    with pytest.raises(ImageError, match="midway"):
        list(images.read_behind(failing(), lambda n: np.zeros((3, 8, 8), np.float32)))
