"""Pascal VOC XML: one file per image — ``filename`` and ``object`` elements with
``name`` and ``bndbox`` (``xmin``, ``ymin``, ``xmax``, ``ymax``: 1-based pixel indices, as
the VOC devkit writes them, so a box covers ``xmin − 1 … xmax`` in pixel edges).

Read with the standard library's expat parser, which refuses external entities and, from
expat 2.4 on, entity-expansion bombs; files over 16 MB are refused before parsing."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from imgsearch.regions.annotations.records import LabeledBox, Parsed, Problem

MAX_BYTES = 16 * 2**20


def read_voc(paths: list[Path], base: Path) -> Parsed:
    """The XML files ``paths``, named in problems relative to ``base``; an image is keyed by
    its ``filename`` beside the XML file's own folder (relative to ``base``)."""
    parsed = Parsed(format="voc")
    for path in paths:
        where = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES // 2**20} MB")
            root = ElementTree.parse(path).getroot()
        except (OSError, ValueError, ElementTree.ParseError) as exc:
            parsed.problems.append(Problem(where, f"not a readable VOC file: {exc}"))
            continue
        file_name = (root.findtext("filename") or "").strip().replace("\\", "/")
        if root.tag != "annotation" or not file_name:
            parsed.problems.append(Problem(where, "no <annotation> with a <filename>"))
            continue
        boxes = parsed.images.setdefault(file_name, [])
        for n, element in enumerate(root.iter("object"), start=1):
            found = _object(element)
            if isinstance(found, str):
                parsed.problems.append(Problem(f"{where}: object {n}", found))
            else:
                boxes.append(found)
    return parsed


def _object(element: ElementTree.Element) -> LabeledBox | str:
    label = (element.findtext("name") or "").strip()
    if not label:
        return "no <name>"
    corners = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        text = element.findtext(f"bndbox/{tag}")
        try:
            value = float(text) if text is not None else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            return f"<bndbox> has no usable <{tag}>"
        corners.append(value)
    xmin, ymin, xmax, ymax = corners
    box = LabeledBox(label, xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1)
    return box if box.usable() else "the box has no area"
