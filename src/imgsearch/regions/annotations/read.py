"""Which format an annotations path is in, decided by what it holds."""

from __future__ import annotations

from pathlib import Path

from imgsearch.errors import AnnotationsUnusable
from imgsearch.regions.annotations.coco import read_coco
from imgsearch.regions.annotations.records import Parsed
from imgsearch.regions.annotations.voc import read_voc
from imgsearch.regions.annotations.yolo import read_yolo

FORMATS_HINT = (
    "give a COCO .json file, a Pascal VOC .xml file or folder of them, "
    "or a YOLO labels folder (.txt files with classes.txt)"
)


def read_annotations(path: str | Path) -> Parsed:
    """The boxes ``path`` gives each image, and the entries it could not use.

    A ``.json`` file is COCO; an ``.xml`` file, or a folder holding any, Pascal VOC; a
    folder of ``.txt`` files, YOLO; a folder of ``.json`` files, COCO files merged.
    """
    path = Path(path).expanduser()
    if path.is_file():
        if path.suffix.lower() == ".json":
            return read_coco(path)
        if path.suffix.lower() == ".xml":
            return read_voc([path], path.parent)
        raise AnnotationsUnusable(f"{path}: not an annotations file", hint=FORMATS_HINT)
    if not path.is_dir():
        raise AnnotationsUnusable(f"{path}: no such file or folder", hint=FORMATS_HINT)
    xml = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())
    if xml:
        return read_voc(xml, path)
    if any(p.suffix.lower() == ".txt" for p in path.rglob("*.txt")):
        return read_yolo(path)
    documents = sorted(p for p in path.rglob("*.json") if p.is_file())
    if not documents:
        raise AnnotationsUnusable(f"{path}: holds no annotations", hint=FORMATS_HINT)
    merged = Parsed(format="coco")
    for document in documents:
        parsed = read_coco(document)
        for image, boxes in parsed.images.items():
            merged.images.setdefault(image, []).extend(boxes)
        merged.problems += parsed.problems
    return merged
