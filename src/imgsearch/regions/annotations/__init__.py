"""Boxes and labels from annotation files (COCO JSON, YOLO label folders, Pascal VOC XML)
imported as regions of indexed images: see :mod:`.importer`."""

from imgsearch.regions.annotations.importer import ImportReport, import_annotations
from imgsearch.regions.annotations.read import read_annotations
from imgsearch.regions.annotations.records import LabeledBox, Parsed, Problem
from imgsearch.regions.passes import DEFAULT_PADDING

__all__ = [
    "DEFAULT_PADDING",
    "ImportReport",
    "LabeledBox",
    "Parsed",
    "Problem",
    "import_annotations",
    "read_annotations",
]
