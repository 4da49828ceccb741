"""Labelled query files for ``imgsearch evaluate``: JSON Lines, one query per line.

::

    {"id": "cats", "text": "a cat on a sofa", "relevant": ["cats/*.jpg", "misc/sofa-cat.png"]}
    {"image": "examples/bus.jpg", "box": [40, 60, 200, 120], "relevant": {"label": "bus"}}
    {"query": "2:dog + ./pool.jpg - grass", "relevant": ["dogs/pool-*.jpg"]}
    {"parts": [{"text": "red car", "weight": 2}, {"text": "night", "weight": -1}], "relevant": []}

Exactly one of ``text``, ``image`` (with an optional ``box`` ``[x, y, w, h]`` in pixels),
``query`` (an expression as on the command line) or ``parts``. ``relevant`` says which
indexed images are right answers: a list of paths and globs, or ``{"label": L}`` (``L``
a label or a list of them: images with an imported annotation box of that label);
``[]`` says that nothing in the collection matches (the query should get no hits at the
cut-off). Optional: ``id`` (a name in reports), ``sources`` (only regions from these
sources match, e.g. ``["annotation"]``). Relative paths are read from the query file's
folder. An image query's own file is left out of its judging.

A line that cannot be used is reported with its number and why; the other lines are
still evaluated. Limits: :data:`MAX_QUERIES` lines, :data:`MAX_LINE` bytes per line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgsearch import json_input
from imgsearch.errors import ImgsearchError, InputError
from imgsearch.query.expression import REGION_SOURCES, QueryPart, parse_expression
from imgsearch.types import Box

MAX_QUERIES = 100_000
"""Most query lines read from one file."""
MAX_LINE = 1_000_000
"""Longest query line, in bytes."""
KEYS = frozenset({"id", "text", "image", "box", "query", "parts", "relevant", "sources"})
QUERY_KEYS = ("text", "image", "query", "parts")
PART_KEYS = frozenset({"text", "image", "box", "weight"})


class QueryFileError(InputError):
    """The query file cannot be read, or none of its lines is a usable query."""


@dataclass(frozen=True)
class Relevance:
    """Which indexed images answer a query: by path or glob (absolute), or by label."""

    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        """The query has no right answer in the collection."""
        return not self.paths and not self.labels


@dataclass(frozen=True)
class LabelledQuery:
    line: int
    name: str
    kind: str
    """``text``, ``image``, ``region`` (an image with a box) or ``mix``."""
    parts: tuple[QueryPart, ...]
    relevant: Relevance
    sources: tuple[str, ...] = ()

    @property
    def own_images(self) -> tuple[str, ...]:
        """The query's image files (left out of its judging)."""
        return tuple(p.image for p in self.parts if p.image is not None)


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class QueryFile:
    path: str
    queries: tuple[LabelledQuery, ...]
    problems: tuple[LineProblem, ...]


def read_queries(path: str | os.PathLike[str]) -> QueryFile:
    """Every usable query of the file at ``path``, and a problem for every other line."""
    file = Path(path).expanduser()
    folder = file.resolve().parent
    queries: list[LabelledQuery] = []
    problems: list[LineProblem] = []
    try:
        with file.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if number > MAX_QUERIES:
                    problems.append(LineProblem(number, f"more than {MAX_QUERIES} lines: ignored"))
                    break
                if not raw.strip():
                    continue
                try:
                    queries.append(_query(raw, number, folder))
                except (ValueError, TypeError, KeyError, ImgsearchError) as error:
                    problems.append(LineProblem(number, _reason(error)))
    except OSError as error:
        raise QueryFileError(
            f"cannot read the query file {file}: {error.strerror or error}",
            hint="give a JSON Lines file with one labelled query per line",
        ) from None
    if not queries:
        shown = "; ".join(str(p) for p in problems[:5]) or "the file is empty"
        raise QueryFileError(
            f"no usable query in {file}: {shown}",
            hint='each line: {"text": "…", "relevant": ["path", "glob*", …]}',
        )
    return QueryFile(str(file), tuple(queries), tuple(problems))


def _reason(error: Exception) -> str:
    if isinstance(error, ImgsearchError):
        return error.message
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg} (column {error.colno})"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(error)


def _query(raw: bytes, number: int, folder: Path) -> LabelledQuery:
    if len(raw) > MAX_LINE:
        raise ValueError(f"longer than {MAX_LINE} bytes")
    item = json_input.parse(raw.decode("utf-8"))
    if not isinstance(item, dict):
        raise ValueError("a query is a JSON object")
    unknown = sorted(set(item) - KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    given = [key for key in QUERY_KEYS if key in item]
    if len(given) != 1:
        raise ValueError("give exactly one of text, image, query or parts")
    if "box" in item and "image" not in item:
        raise ValueError("a box goes with an image")
    if "relevant" not in item:
        raise ValueError('say which images are relevant: "relevant": [paths or globs]')
    parts = _parts(item, given[0], folder)
    name = item.get("id", f"line {number}")
    if not isinstance(name, str | int):
        raise ValueError("id is a string")
    return LabelledQuery(
        line=number,
        name=str(name),
        kind=_kind(parts),
        parts=parts,
        relevant=_relevance(item["relevant"], folder),
        sources=_sources(item.get("sources", [])),
    )


def _parts(item: dict[str, Any], key: str, folder: Path) -> tuple[QueryPart, ...]:
    if key == "text":
        return (QueryPart(text=_string(item["text"], "text")),)
    if key == "image":
        return (_image_part(item, folder),)
    if key == "query":
        parsed = parse_expression(_string(item["query"], "query"))
        return tuple(
            QueryPart(image=_existing(p.image, folder), weight=p.weight)
            if p.image is not None
            else p
            for p in parsed
        )
    parts = item["parts"]
    if not isinstance(parts, list) or not parts:
        raise ValueError("parts is a non-empty list of {text|image, weight}")
    result = []
    for part in parts:
        if not isinstance(part, dict) or set(part) - PART_KEYS:
            raise ValueError('each part is {"text": …} or {"image": …, "box": …}, with "weight"')
        weight = part.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError("a part's weight is a number")
        if ("text" in part) == ("image" in part):
            raise ValueError("each part has a text or an image")
        if "text" in part:
            result.append(QueryPart(text=_string(part["text"], "text"), weight=float(weight)))
        else:
            image = _image_part(part, folder)
            result.append(QueryPart(image=image.image, box=image.box, weight=float(weight)))
    return tuple(result)


def _image_part(item: dict[str, Any], folder: Path) -> QueryPart:
    image = _existing(_string(item["image"], "image"), folder)
    box = item.get("box")
    if box is None:
        return QueryPart(image=image)
    if not isinstance(box, list) or len(box) != 4:
        raise ValueError("box is [x, y, width, height] in pixels")
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in box):
        raise ValueError("box is [x, y, width, height] in pixels")
    x, y, w, h = (float(v) for v in box)
    return QueryPart(image=image, box=Box(x, y, w, h))


def _existing(path: str, folder: Path) -> str:
    resolved = (folder / Path(path).expanduser()).resolve()
    if not resolved.is_file():
        raise ValueError(f"image not found: {path}")
    return str(resolved)


def _relevance(value: Any, folder: Path) -> Relevance:
    if isinstance(value, list):
        paths = [_string(p, "a relevant path") for p in value]
        # normalised (../photos/x.jpg names the indexed path), not resolved: globs stay globs
        return Relevance(
            paths=tuple(os.path.normpath(folder / Path(p).expanduser()) for p in paths)
        )
    if isinstance(value, dict) and set(value) == {"label"}:
        labels = value["label"] if isinstance(value["label"], list) else [value["label"]]
        if not labels:
            raise ValueError("give at least one label")
        return Relevance(labels=tuple(_string(label, "a label") for label in labels))
    raise ValueError('relevant is a list of paths and globs, or {"label": "…"}')


def _sources(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(s not in REGION_SOURCES for s in value):
        raise ValueError(f"sources is a list of: {', '.join(REGION_SOURCES)}")
    return tuple(value)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is a non-empty string")
    return value


def _kind(parts: tuple[QueryPart, ...]) -> str:
    if len(parts) > 1:
        return "mix"
    part = parts[0]
    if part.text is not None:
        return "text"
    return "region" if part.box is not None else "image"
