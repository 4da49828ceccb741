"""Small ONNX graphs with the exact interface of an Ultralytics YOLOv8/YOLO11 detection
export, built in the tests: a "colour detector" that finds red and blue things.

Input ``images`` ``[1, 3, size, size]`` (RGB, 0..1, letterboxed); output ``output0``
``[1, 4 + 2, anchors]``: one anchor per ``cell × cell`` square of the input, its box the
square (centre x, y, width, height in input pixels), its class scores how much of the
square is red or blue (a 1×1 convolution picks the colour, average pooling measures it
per square). Class names in the ``names`` metadata, as Ultralytics writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NAMES = ("red thing", "blue thing")
# Per class: weights on R, G, B and a bias, so that only that colour of the demo's palette
# (with its tint) gives a positive response, never another colour or a neutral tone.
COLOUR_FILTERS = {
    "red thing": ((1.0, -2.0, -0.5), -0.15),
    "blue thing": ((-2.0, 0.0, 1.0), -0.2),
}


def colour_detector(
    path: Path,
    *,
    size: int = 128,
    cell: int = 16,
    gain: float = 8.0,
    names_in_metadata: bool = True,
    dynamic: bool = False,
    extra_rows: int = 0,
) -> Path:
    """Write the graph to ``path``. ``dynamic``: batch, height and width are symbolic
    (the size comes from ``imgsz`` metadata); ``extra_rows`` adds output rows that no
    class names match (a broken export)."""
    side = size // cell
    anchors = side * side
    weights = np.array([COLOUR_FILTERS[n][0] for n in NAMES], np.float32).reshape(2, 3, 1, 1)
    bias = np.array([COLOUR_FILTERS[n][1] for n in NAMES], np.float32)
    rows, columns = np.divmod(np.arange(anchors), side)
    boxes = np.stack(
        [
            (columns + 0.5) * cell,
            (rows + 0.5) * cell,
            np.full(anchors, cell),
            np.full(anchors, cell),
        ]
    ).astype(np.float32)[None]
    if extra_rows:
        boxes = np.concatenate([boxes, np.zeros((1, extra_rows, anchors), np.float32)], axis=1)
    constants = [
        numpy_helper.from_array(weights, "colour_weights"),
        numpy_helper.from_array(bias, "colour_bias"),
        numpy_helper.from_array(np.array(gain, np.float32), "gain"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array([1, 2, anchors], np.int64), "score_shape"),
        numpy_helper.from_array(boxes, "anchor_boxes"),
    ]
    nodes = [
        helper.make_node("Conv", ["images", "colour_weights", "colour_bias"], ["response"]),
        helper.make_node("Relu", ["response"], ["colour"]),
        helper.make_node(
            "AveragePool", ["colour"], ["pooled"], kernel_shape=[cell, cell], strides=[cell, cell]
        ),
        helper.make_node("Mul", ["pooled", "gain"], ["scaled"]),
        helper.make_node("Clip", ["scaled", "zero", "one"], ["scores_grid"]),
        helper.make_node("Reshape", ["scores_grid", "score_shape"], ["scores"]),
        helper.make_node("Concat", ["anchor_boxes", "scores"], ["output0"], axis=1),
    ]
    shape: list[int | str] = ["batch", 3, "height", "width"] if dynamic else [1, 3, size, size]
    graph = helper.make_graph(
        nodes,
        "colour-detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, shape)],
        [
            helper.make_tensor_value_info(
                "output0", TensorProto.FLOAT, [1, 4 + extra_rows + len(NAMES), anchors]
            )
        ],
        constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    metadata = {"task": "detect", "stride": str(cell), "imgsz": str([size, size])}
    if names_in_metadata:
        metadata["names"] = str(dict(enumerate(NAMES)))
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
