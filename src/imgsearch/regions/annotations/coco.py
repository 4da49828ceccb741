"""COCO object-detection JSON: ``images`` (``id``, ``file_name``), ``categories`` (``id``,
``name``) and ``annotations`` (``image_id``, ``category_id``, ``bbox`` as x, y, w, h in
pixels, optional ``score`` as in results files)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from imgsearch import json_input
from imgsearch.regions.annotations.records import LabeledBox, Parsed, Problem

MAX_BYTES = 2**30


def read_coco(path: Path) -> Parsed:
    parsed = Parsed(format="coco")
    name = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES // 2**20} MB")
        with path.open("rb") as handle:
            document = json_input.parse(handle.read())
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        parsed.problems.append(Problem(name, f"not a readable COCO file: {exc}"))
        return parsed
    files = _images(document.get("images"), name, parsed)
    labels = _categories(document.get("categories"), name, parsed)
    for file_name in files.values():
        parsed.images.setdefault(file_name, [])
    for n, entry in enumerate(_list(document.get("annotations"), "annotations", name, parsed)):
        where = (
            f"{name}: annotation {entry.get('id', f'#{n}') if isinstance(entry, dict) else f'#{n}'}"
        )
        found = _annotation(entry, files, labels)
        if isinstance(found, str):
            parsed.problems.append(Problem(where, found))
        else:
            parsed.images[found[0]].append(found[1])
    return parsed


def _list(value: Any, key: str, name: str, parsed: Parsed) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        parsed.problems.append(Problem(name, f"'{key}' is not a list"))
        return []
    return value


def _images(value: Any, name: str, parsed: Parsed) -> dict[Any, str]:
    files: dict[Any, str] = {}
    for n, entry in enumerate(_list(value, "images", name, parsed)):
        if not isinstance(entry, dict) or not isinstance(entry.get("file_name"), str):
            parsed.problems.append(Problem(f"{name}: image #{n}", "no file_name"))
            continue
        files[entry.get("id")] = entry["file_name"].replace("\\", "/")
    return files


def _categories(value: Any, name: str, parsed: Parsed) -> dict[Any, str]:
    labels: dict[Any, str] = {}
    for n, entry in enumerate(_list(value, "categories", name, parsed)):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            parsed.problems.append(Problem(f"{name}: category #{n}", "no name"))
            continue
        labels[entry.get("id")] = entry["name"]
    return labels


def _annotation(
    entry: Any, files: dict[Any, str], labels: dict[Any, str]
) -> tuple[str, LabeledBox] | str:
    """The image and box of one annotation, or why there is none."""
    if not isinstance(entry, dict):
        return "not an object"
    if entry.get("image_id") not in files:
        return f"image_id {entry.get('image_id')!r} is not among the images"
    if entry.get("category_id") not in labels:
        return f"category_id {entry.get('category_id')!r} is not among the categories"
    bbox = entry.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
        return f"bbox {bbox!r} is not four numbers"
    score: Any = entry.get("score")
    x, y, w, h = (float(v) for v in bbox)
    box = LabeledBox(
        labels[entry["category_id"]], x, y, w, h, score=float(score) if _number(score) else None
    )
    if not box.usable():
        return f"bbox {bbox!r} has no area"
    return files[entry["image_id"]], box


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
