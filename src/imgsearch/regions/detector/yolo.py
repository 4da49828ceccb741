"""An object detector the user brings: an ONNX graph in the Ultralytics YOLO export layout.

What the graph must look like — what ``yolo export format=onnx`` writes for YOLOv8, v9
and YOLO11 detection models (``imgsearch.regions.detector`` ships no weights and downloads none):

- **one input**, float32 ``[batch, 3, height, width]``: RGB in 0..1, the picture
  *letterboxed* — scaled to fit ``height × width`` keeping its aspect ratio, centred,
  the rest filled with grey 114. A fixed size is used as is; a dynamic one is taken
  from the model's ``imgsz`` metadata, else 640. Images are run one at a time.
- **first output**, float32 ``[batch, 4 + classes, anchors]``: per anchor the box centre
  x, y and width, height in pixels of the letterboxed input, then one score per class
  (already a probability; no separate objectness, unlike YOLOv5's layout).
- **class names** from the model's ``names`` metadata (``{0: 'person', 1: 'bicycle'}``,
  as Ultralytics writes it), or from a file: one name per line (``classes.txt``), or a
  YAML file with ``names`` (a list, or index → name). A file wins over the metadata.

Per image: anchors whose best class scores at least ``confidence`` (default 0.25) are
kept, overlapping boxes of the same class are suppressed above ``iou`` (default 0.45;
greedy non-maximum suppression, best first), and at most ``max_detections`` (default
100) remain, best first. Boxes come back in pixels of the picture given (the
letterbox undone, clipped to the picture).
"""

from __future__ import annotations

import ast
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import InvalidSettings
from imgsearch.lazy import LazyModule
from imgsearch.types import Box

ort: Any = LazyModule("onnxruntime")

DEFAULT_CONFIDENCE = 0.25
DEFAULT_IOU = 0.45
DEFAULT_MAX_DETECTIONS = 100
DEFAULT_SIZE = 640
MIN_SIDE, MAX_SIDE = 32, 4096
"""The input sides a detector may declare (Ultralytics exports 320 to 1280)."""
PAD_GREY = 114
MAX_CANDIDATES = 30_000
"""Boxes above the confidence threshold that suppression looks at (best first)."""


class InvalidDetector(InvalidSettings):
    """The detector file is missing, unreadable, or not in the expected layout."""


@dataclass(frozen=True)
class Detection:
    box: Box
    label: str
    score: float


class YoloDetector:
    """Runs one ONNX detection graph (layout: module docstring) on pictures."""

    def __init__(
        self,
        path: str | Path,
        *,
        classes: str | Path | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
        iou: float = DEFAULT_IOU,
        max_detections: int = DEFAULT_MAX_DETECTIONS,
    ) -> None:
        if not 0 < confidence <= 1 or not 0 < iou <= 1 or max_detections < 1:
            raise InvalidDetector(
                f"detector thresholds confidence={confidence}, iou={iou}, "
                f"max_detections={max_detections} are not usable",
                hint="confidence and iou lie in (0, 1]; max_detections is at least 1",
            )
        self.path = Path(path).expanduser().resolve()
        self.confidence, self.iou, self.max_detections = confidence, iou, max_detections
        try:
            self.digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
            self._session = ort.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
        except OSError as exc:
            raise InvalidDetector(f"cannot read detector {self.path}: {exc.strerror}") from None
        except Exception as exc:
            raise InvalidDetector(f"{self.path} is not a usable ONNX model: {exc}") from None
        metadata = self._session.get_modelmeta().custom_metadata_map
        self._input = self._session.get_inputs()[0].name
        self.height, self.width = self._input_size(metadata)
        self.names = self._names(metadata, classes)
        self._check_output()

    @property
    def stamp(self) -> str:
        """What the detector's regions were made with: model bytes and thresholds."""
        return (
            f"detector:v1:{self.digest[:16]}:conf={self.confidence:g}:iou={self.iou:g}"
            f":max={self.max_detections}"
        )

    def detect(self, picture: Image.Image) -> list[Detection]:
        """The objects in an RGB ``picture``, best first, boxes in its pixels."""
        tensor, scale, left, top = self.letterbox(picture)
        try:
            output = self._session.run(None, {self._input: tensor})[0]
        except Exception as exc:  # onnxruntime's own errors: this picture's, not the run's
            raise InvalidDetector(f"detector {self.path.name} failed: {exc}") from None
        return decode(
            np.asarray(output, dtype=np.float32)[0],
            self.names,
            scale=scale,
            offset=(left, top),
            size=picture.size,
            confidence=self.confidence,
            iou=self.iou,
            max_detections=self.max_detections,
        )

    def letterbox(self, picture: Image.Image) -> tuple[NDArray[np.float32], float, int, int]:
        """The model input for ``picture``, the scale applied and the left/top padding."""
        scale = min(self.width / picture.width, self.height / picture.height)
        fitted = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        left = round((self.width - fitted[0]) / 2 - 0.1)
        top = round((self.height - fitted[1]) / 2 - 0.1)
        canvas = Image.new("RGB", (self.width, self.height), (PAD_GREY,) * 3)
        canvas.paste(picture.convert("RGB").resize(fitted, Image.Resampling.BILINEAR), (left, top))
        pixels = np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1)[None] / 255.0
        return np.ascontiguousarray(pixels), scale, left, top

    def _input_size(self, metadata: dict[str, str]) -> tuple[int, int]:
        inputs = self._session.get_inputs()
        shape = inputs[0].shape
        if len(inputs) != 1 or len(shape) != 4 or shape[1] != 3:
            raise InvalidDetector(
                f"detector {self.path.name} takes {[i.shape for i in inputs]}, not one "
                "[batch, 3, height, width] image",
                hint="export an Ultralytics detection model with `yolo export format=onnx`",
            )
        height, width = shape[2], shape[3]
        if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
            size: Any = [height, width]  # fixed by the graph
        else:
            size = _literal(metadata.get("imgsz"))
        if size is None:
            return DEFAULT_SIZE, DEFAULT_SIZE
        sides = list(size) if isinstance(size, list | tuple) else [size, size]
        if len(sides) != 2 or not all(
            isinstance(side, int) and MIN_SIDE <= side <= MAX_SIDE for side in sides
        ):
            # [0, 0] divided by zero on every picture, [100000, 100000] asked for 120 GB:
            # either failed every later index run of the index that keeps the detector
            raise InvalidDetector(
                f"detector {self.path.name} declares an input size of {str(size)[:40]}, not "
                f"two whole numbers of pixels from {MIN_SIDE} to {MAX_SIDE}",
                hint="export it again with `yolo export format=onnx imgsz=640`",
            )
        return int(sides[0]), int(sides[1])

    def _names(self, metadata: dict[str, str], classes: str | Path | None) -> list[str]:
        found: Any = read_class_names(Path(classes)) if classes is not None else None
        if found is None:
            found = _literal(metadata.get("names"))
        names = _as_list(found)
        if not names:
            raise InvalidDetector(
                f"detector {self.path.name} names no classes",
                hint="give a classes file (--detector-classes): one name per line",
            )
        return names

    def _check_output(self) -> None:
        outputs = self._session.get_outputs()
        shape = outputs[0].shape if outputs else []
        rows = shape[1] if len(shape) == 3 else None
        if rows is None or (isinstance(rows, int) and rows != 4 + len(self.names)):
            raise InvalidDetector(
                f"detector {self.path.name} gives {shape}, not [batch, 4 + {len(self.names)} "
                f"classes, anchors]",
                hint="the class names must match the model's classes, in the Ultralytics "
                "YOLOv8/YOLO11 layout (YOLOv5's layout with objectness is not read)",
            )


def decode(
    rows: NDArray[np.float32],
    names: Sequence[str],
    *,
    scale: float,
    offset: tuple[int, int],
    size: tuple[int, int],
    confidence: float,
    iou: float,
    max_detections: int,
) -> list[Detection]:
    """Detections from one image's ``[4 + classes, anchors]`` output (see the module)."""
    if rows.ndim != 2 or rows.shape[0] != 4 + len(names):
        raise InvalidDetector(
            f"the detector gave an output of shape {list(rows.shape)} for one image, not "
            f"[{4 + len(names)}, anchors]"
        )
    scores = rows[4:]
    classes = scores.argmax(axis=0)
    best = scores[classes, np.arange(scores.shape[1])]
    keep = np.flatnonzero(np.isfinite(best) & (best >= confidence))
    keep = keep[np.argsort(-best[keep], kind="stable")][:MAX_CANDIDATES]
    cx, cy, w, h = rows[:4, keep]
    corners = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    corners = (corners - np.array([*offset, *offset], np.float32)) / scale
    corners = np.clip(corners, 0, np.array([*size, *size], np.float32))
    chosen = suppress(corners, best[keep], classes[keep], iou)[:max_detections]
    detections = []
    for i in chosen:
        x0, y0, x1, y1 = (float(v) for v in corners[i])
        if x1 - x0 < 1 or y1 - y0 < 1 or not all(map(math.isfinite, (x0, y0, x1, y1))):
            continue
        box = Box(x0, y0, x1 - x0, y1 - y0)
        detections.append(Detection(box, names[int(classes[keep[i]])], float(best[keep[i]])))
    return detections


def suppress(
    corners: NDArray[np.float32], scores: NDArray[np.float32], classes: NDArray[Any], iou: float
) -> list[int]:
    """Greedy non-maximum suppression per class: indices kept, best first. Boxes are
    ``x0, y0, x1, y1``; each class is moved to its own far-away area so that boxes of
    different classes never overlap (one pass for all classes)."""
    if len(corners) == 0:
        return []
    span = float(corners.max()) + 1.0
    boxes = corners + (classes.astype(np.float32) * span)[:, None]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    while order.size:
        first, rest = int(order[0]), order[1:]
        kept.append(first)
        x0 = np.maximum(boxes[first, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[first, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[first, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[first, 3], boxes[rest, 3])
        overlap = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        union = areas[first] + areas[rest] - overlap
        order = rest[overlap <= iou * np.maximum(union, 1e-9)]
    return kept


def read_class_names(path: Path) -> list[str]:
    """Class names from a file: YAML with ``names`` (list or index → name), else a name
    per line."""
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDetector(f"cannot read class names from {path}: {exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidDetector(f"{path} is not valid YAML: {exc}") from None
        names = _as_list(document.get("names") if isinstance(document, dict) else None)
        if not names:
            raise InvalidDetector(f"{path} has no list of class names under 'names'")
        return names
    return [line.strip() for line in text.splitlines() if line.strip()]


def _literal(text: str | None) -> Any:
    """A Python literal from model metadata (Ultralytics writes dicts and lists so)."""
    if not text:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _as_list(names: Any) -> list[str]:
    if isinstance(names, list | tuple):
        return [str(n) for n in names]
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise InvalidDetector("class names must be numbered 0, 1, 2, … without gaps")
        return [str(names[i]) for i in range(len(names))]
    return []
