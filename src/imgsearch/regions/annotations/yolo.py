"""YOLO label folders: one ``.txt`` per image (same relative path and name, under the
labels folder), a line per object ``class cx cy w h`` in fractions of the image's size
(a sixth number is a confidence, as detectors write; more numbers are a polygon, whose
bounding box is taken). Class names, by line, from ``classes.txt`` or ``obj.names``, or
``names`` in ``data.yaml`` / ``dataset.yaml`` (a list or an index → name mapping)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from imgsearch.regions.annotations.records import LabeledBox, Parsed, Problem

CLASS_FILES = ("classes.txt", "obj.names")
YAML_FILES = ("data.yaml", "dataset.yaml", "data.yml", "dataset.yml")
MAX_CLASSES = 100_000
MAX_NAME_CHARS = 200
"""A label, as searches take it (``labels``: 1–200 characters)."""
MAX_BYTES = 16 * 2**20


def read_yolo(folder: Path) -> Parsed:
    parsed = Parsed(format="yolo", by_stem=True)
    names = _class_names(folder, parsed)
    if names is None:
        return parsed
    for path in sorted(folder.rglob("*.txt")):
        if path.parent == folder and path.name in CLASS_FILES:
            continue
        key = path.relative_to(folder).with_suffix("").as_posix()
        where = path.relative_to(folder).as_posix()
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES // 2**20} MB")
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError) as exc:
            parsed.problems.append(Problem(where, f"cannot read it: {exc}"))
            continue
        boxes = parsed.images.setdefault(key, [])
        for number, line in enumerate(lines, start=1):
            if line.strip():
                found = _line(line, names)
                if isinstance(found, str):
                    parsed.problems.append(Problem(f"{where}:{number}", found))
                else:
                    boxes.append(found)
    return parsed


def _class_names(folder: Path, parsed: Parsed) -> list[str] | None:
    for name in CLASS_FILES:
        path = folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return _checked_names([line for line in lines if line.strip()], name, parsed)
    for name in YAML_FILES:
        path = folder / name
        if path.is_file():
            try:
                names = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("names")
            except (yaml.YAMLError, AttributeError, ValueError) as exc:  # ValueError: also
                # UnicodeDecodeError, and a number of thousands of digits
                parsed.problems.append(Problem(name, f"cannot read class names: {exc}"))
                return None
            if isinstance(names, dict):
                numbers = {_number(k): v for k, v in names.items()}
                if None in numbers:
                    parsed.problems.append(Problem(name, "class numbers must be whole numbers"))
                    return None
                names = [numbers[k] for k in sorted(numbers)]  # type: ignore[type-var]
            if not isinstance(names, list):
                parsed.problems.append(Problem(name, "no 'names' list or mapping"))
                return None
            return _checked_names(names, name, parsed)
    parsed.problems.append(
        Problem(folder.name, f"no class names: put them in {CLASS_FILES[0]}, one per line")
    )
    return None


def _number(key: Any) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    text = key.strip() if isinstance(key, str) else ""
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _checked_names(names: list[Any], file: str, parsed: Parsed) -> list[str] | None:
    """Class names that are short plain text (a number is read as its digits). YAML
    aliases can make one "name" a list nested thousands deep: as text, a 387-byte file
    once became a 72 MB label."""
    if len(names) > MAX_CLASSES:
        parsed.problems.append(Problem(file, f"more than {MAX_CLASSES:,} class names"))
        return None
    checked = []
    for number, value in enumerate(names):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            parsed.problems.append(Problem(file, f"class name {number} is not text"))
            return None
        text = str(value).strip()
        if not 0 < len(text) <= MAX_NAME_CHARS:
            parsed.problems.append(
                Problem(file, f"class name {number} is empty or over {MAX_NAME_CHARS} characters")
            )
            return None
        checked.append(text)
    return checked


def _line(line: str, names: list[str]) -> LabeledBox | str:
    fields = line.split()
    try:
        values = [float(v) for v in fields[1:]]
        number = int(fields[0])
    except ValueError:
        return f"not numbers: {line.strip()[:80]!r}"
    if not 0 <= number < len(names):
        return f"class {number} is not among the {len(names)} class names"
    if not all(math.isfinite(v) for v in values):
        return "a coordinate is not a number"
    score = None
    if len(values) in (4, 5):
        cx, cy, w, h = values[:4]
        score = values[4] if len(values) == 5 else None
        x, y = cx - w / 2, cy - h / 2
    elif len(values) >= 6 and len(values) % 2 == 0:
        xs, ys = values[0::2], values[1::2]
        x, y, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    else:
        return f"{len(values)} coordinates: neither a box (4) nor a polygon"
    box = LabeledBox(names[number], x, y, w, h, unit="fraction", score=score)
    return box if box.usable() else "the box has no area"
