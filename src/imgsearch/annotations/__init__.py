"""Boxes and labels from annotation files (COCO JSON, YOLO label folders, Pascal VOC XML)
imported as regions of indexed images: see :mod:`.importer`."""

from imgsearch.annotations.importer import ImportReport, import_annotations
from imgsearch.annotations.read import read_annotations
from imgsearch.annotations.records import LabeledBox, Parsed, Problem
from imgsearch.region_pass import DEFAULT_PADDING

__all__ = [
    "DEFAULT_PADDING",
    "ImportReport",
    "LabeledBox",
    "Parsed",
    "Problem",
    "import_annotations",
    "read_annotations",
]
