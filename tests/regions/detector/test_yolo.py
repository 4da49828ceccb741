"""The YOLO-layout detector: letterbox, decoding, suppression, class names, bad models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch.demo.collection import generate_collection
from imgsearch.media.decode import load_rgb
from imgsearch.regions.detector import InvalidDetector, YoloDetector
from imgsearch.regions.detector.yolo import decode, read_class_names, suppress
from imgsearch.types import Box
from tests.regions.detector.graphs import NAMES, colour_detector


def _rows(*anchors: tuple[float, float, float, float, float, float]) -> np.ndarray:
    """Output rows ``[4 + 2, anchors]`` from (cx, cy, w, h, score red, score blue) tuples."""
    return np.array(anchors, np.float32).T


def test_decode_keeps_confident_boxes_and_suppresses_overlaps_per_class() -> None:
    rows = _rows(
        (50, 50, 20, 20, 0.9, 0.0),  # red, best
        (52, 50, 20, 20, 0.8, 0.0),  # red, IoU 0.82 with the first: suppressed
        (52, 50, 20, 20, 0.0, 0.7),  # blue at the same place: another class, kept
        (90, 90, 10, 10, 0.3, 0.1),  # red elsewhere, kept
        (10, 10, 10, 10, 0.2, 0.1),  # below confidence
    )
    found = decode(
        rows, NAMES, scale=1.0, offset=(0, 0), size=(200, 200), confidence=0.25, iou=0.45,
        max_detections=10,
    )  # fmt: skip
    assert [(d.label, round(d.score, 2)) for d in found] == [
        ("red thing", 0.9),
        ("blue thing", 0.7),
        ("red thing", 0.3),
    ]
    assert (found[0].box.x, found[0].box.y, found[0].box.w, found[0].box.h) == (40, 40, 20, 20)
    top = decode(
        rows, NAMES, scale=1.0, offset=(0, 0), size=(200, 200), confidence=0.25, iou=0.45,
        max_detections=2,
    )  # fmt: skip
    assert len(top) == 2


def test_decode_undoes_the_letterbox_and_clips_to_the_picture() -> None:
    # A 400x200 picture letterboxed into 128x128: scale 0.32, 32 grey rows above.
    rows = _rows((64, 64, 32, 16, 0.0, 0.5), (4, 40, 16, 16, 0.6, 0.0))
    found = decode(
        rows, NAMES, scale=0.32, offset=(0, 32), size=(400, 200), confidence=0.25, iou=0.45,
        max_detections=10,
    )  # fmt: skip
    red, blue = found
    assert (red.box.x, red.box.w) == (0, pytest.approx(12 / 0.32))  # clipped at the left edge
    assert red.box.y == pytest.approx((32 - 32) / 0.32)
    assert (blue.box.x, blue.box.y) == (pytest.approx(48 / 0.32), pytest.approx(24 / 0.32))
    assert (blue.box.w, blue.box.h) == (pytest.approx(100), pytest.approx(50))


def test_suppression_never_mixes_classes_and_keeps_the_best_first() -> None:
    corners = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.5, 0.9, 0.7], np.float32)
    assert suppress(corners, scores, np.array([0, 0, 1]), 0.45) == [1, 2]
    assert suppress(corners, scores, np.array([0, 0, 0]), 0.45) == [1]
    assert suppress(corners, scores, np.array([0, 0, 0]), 0.7) == [1, 2]  # IoU 0.68, then 1.0


def test_letterbox_centres_the_picture_on_grey(tmp_path: Path) -> None:
    detector = YoloDetector(colour_detector(tmp_path / "d.onnx"))
    picture = Image.new("RGB", (200, 100), (255, 0, 0))
    tensor, scale, left, top = detector.letterbox(picture)
    assert tensor.shape == (1, 3, 128, 128) and tensor.dtype == np.float32
    assert (scale, left, top) == (0.64, 0, 32)
    assert np.allclose(tensor[0, :, :32], 114 / 255) and np.allclose(tensor[0, :, 96:], 114 / 255)
    assert np.allclose(tensor[0, 0, 32:96], 1.0) and np.allclose(tensor[0, 1, 32:96], 0.0)


def test_the_graph_finds_red_and_blue_things_where_they_are(tmp_path: Path) -> None:
    detector = YoloDetector(colour_detector(tmp_path / "d.onnx"))
    collection = generate_collection(tmp_path / "shapes", 40, seed=12)
    wanted = {"red thing": "red", "blue thing": "blue"}
    found_objects = total_objects = 0
    for image in collection.images:
        detections = detector.detect(load_rgb(image.path))
        for detection in detections:
            colour = wanted[detection.label]
            assert any(
                o.colour == colour and _overlap(o.box, detection.box) for o in image.objects
            ), (image.path, detection)
        for obj in image.objects:
            if obj.colour in wanted.values():
                total_objects += 1
                found_objects += any(
                    wanted[d.label] == obj.colour and _overlap(obj.box, d.box) for d in detections
                )
    assert total_objects >= 10 and found_objects == total_objects


def _overlap(box: tuple[int, int, int, int], d: Box) -> bool:
    x, y, w, h = box
    return x < d.x + d.w and d.x < x + w and y < d.y + d.h and d.y < y + h


def test_class_names_from_a_file_when_the_model_has_none(tmp_path: Path) -> None:
    model = colour_detector(tmp_path / "bare.onnx", names_in_metadata=False)
    with pytest.raises(InvalidDetector, match="names no classes") as refused:
        YoloDetector(model)
    assert "--detector-classes" in (refused.value.hint or "")
    (tmp_path / "classes.txt").write_text("crimson\n\nnavy\n")
    assert YoloDetector(model, classes=tmp_path / "classes.txt").names == ["crimson", "navy"]
    (tmp_path / "data.yaml").write_text("names:\n  0: tomato\n  1: sky\n")
    assert YoloDetector(model, classes=tmp_path / "data.yaml").names == ["tomato", "sky"]
    (tmp_path / "list.yaml").write_text("names: [a, b]\n")
    assert read_class_names(tmp_path / "list.yaml") == ["a", "b"]
    (tmp_path / "gaps.yaml").write_text("names: {0: a, 2: b}\n")
    with pytest.raises(InvalidDetector, match="without gaps"):
        read_class_names(tmp_path / "gaps.yaml")
    (tmp_path / "three.txt").write_text("a\nb\nc\n")
    with pytest.raises(InvalidDetector, match=r"not \[batch, 4 \+ 3 classes"):
        YoloDetector(model, classes=tmp_path / "three.txt")


def test_a_dynamic_input_takes_its_size_from_the_metadata(tmp_path: Path) -> None:
    detector = YoloDetector(colour_detector(tmp_path / "d.onnx", size=96, dynamic=True))
    assert (detector.height, detector.width) == (96, 96)
    found = detector.detect(Image.new("RGB", (300, 300), (220, 30, 30)))
    assert found and all(d.label == "red thing" for d in found)


def test_unusable_models_and_settings_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(InvalidDetector, match="cannot read detector"):
        YoloDetector(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(InvalidDetector, match="not a usable ONNX model"):
        YoloDetector(tmp_path / "junk.onnx")
    wrong = colour_detector(tmp_path / "wrong.onnx", extra_rows=1)
    with pytest.raises(InvalidDetector, match="not \\[batch, 4 \\+ 2 classes"):
        YoloDetector(wrong)
    model = colour_detector(tmp_path / "d.onnx")
    for settings in ({"confidence": 0.0}, {"iou": 1.5}, {"max_detections": 0}):
        with pytest.raises(InvalidDetector, match="not usable"):
            YoloDetector(model, **settings)  # type: ignore[arg-type]


def _with_input_size(model: Path, size: str) -> Path:
    import onnx

    graph = onnx.load(str(model))
    for prop in graph.metadata_props:
        if prop.key == "imgsz":
            prop.value = size
    onnx.save(graph, str(model))
    return model


@pytest.mark.parametrize("size", ["[0, 0]", "[100000, 100000]", "[-640, 640]", "[640]", "'x'"])
def test_an_input_size_no_picture_can_take_is_refused_when_loading(
    tmp_path: Path, size: str
) -> None:
    """Before: [0, 0] divided by zero on every picture and [100000, 100000] asked for
    120 GB, failing every later index run of an index that keeps the detector."""
    model = _with_input_size(colour_detector(tmp_path / "d.onnx", dynamic=True), size)
    with pytest.raises(InvalidDetector, match="input size"):
        YoloDetector(model)
