"""Objects found by a detector the user brings (an ONNX graph in the Ultralytics YOLO
layout, see :mod:`imgsearch.regions.detector.yolo`), stored as regions of the indexed images
(:mod:`imgsearch.regions.detector.regions`)."""

from imgsearch.regions.detector.regions import add_detector_regions
from imgsearch.regions.detector.yolo import (
    DEFAULT_CONFIDENCE,
    DEFAULT_IOU,
    DEFAULT_MAX_DETECTIONS,
    Detection,
    InvalidDetector,
    YoloDetector,
)
from imgsearch.regions.passes import DEFAULT_PADDING

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_IOU",
    "DEFAULT_MAX_DETECTIONS",
    "DEFAULT_PADDING",
    "Detection",
    "InvalidDetector",
    "YoloDetector",
    "add_detector_regions",
]
