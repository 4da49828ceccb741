"""The demo collection's COCO boxes written out as YOLO and Pascal VOC folders: the same
objects in the other two formats imgsearch imports."""

from __future__ import annotations

import json
from pathlib import Path


def write_yolo_and_voc(coco: Path, out: Path) -> tuple[Path, Path]:
    """``out/labels`` (YOLO: a .txt per image + classes.txt) and ``out/Annotations`` (VOC:
    an .xml per image) holding the boxes of the COCO file ``coco``."""
    document = json.loads(coco.read_text())
    names = {c["id"]: c["name"] for c in document["categories"]}
    images = {i["id"]: i for i in document["images"]}
    yolo, voc = out / "labels", out / "Annotations"
    yolo.mkdir(parents=True)
    voc.mkdir(parents=True)
    (yolo / "classes.txt").write_text("\n".join(names[k] for k in sorted(names)) + "\n")
    lines: dict[int, list[str]] = {i: [] for i in images}
    objects: dict[int, list[str]] = {i: [] for i in images}
    for a in document["annotations"]:
        image = images[a["image_id"]]
        x, y, w, h = a["bbox"]
        cx, cy = (x + w / 2) / image["width"], (y + h / 2) / image["height"]
        lines[a["image_id"]].append(
            f"{sorted(names).index(a['category_id'])} {cx} {cy} {w / image['width']} {h / image['height']}"
        )
        objects[a["image_id"]].append(
            f"<object><name>{names[a['category_id']]}</name><bndbox><xmin>{x + 1}</xmin><ymin>{y + 1}</ymin>"
            f"<xmax>{x + w}</xmax><ymax>{y + h}</ymax></bndbox></object>"
        )
    for image_id, image in images.items():
        stem = Path(image["file_name"]).stem
        (yolo / f"{stem}.txt").write_text("\n".join(lines[image_id]) + "\n")
        name = Path(image["file_name"]).name
        (voc / f"{stem}.xml").write_text(
            f"<annotation><filename>{name}</filename>{''.join(objects[image_id])}</annotation>"
        )
    return yolo, voc
