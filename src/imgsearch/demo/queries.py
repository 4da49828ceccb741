"""Labelled query files for a generated collection, for ``imgsearch evaluate``.

Two disjoint files: ``queries.jsonl`` to measure with and ``queries-fit.jsonl`` to fit a
calibration on (``imgsearch evaluate --fit-calibration``). Each has a text query per
colour + shape (phrased differently in the two files: "red circle" and "a photo of a
red circle"), per colour and per shape alone ("purple", "an image with purple"),
example-image queries (an image with one object) and region queries (a
box around one object of a busy image; the two files use different images). A hit is
relevant when its image shows the query's colour + shape (from the collection's
labels); a combination the collection was generated without has no relevant image,
so its query should find nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from imgsearch.demo.collection import Collection, LabeledImage
from imgsearch.demo.shapes import COLOURS, SHAPES

EVALUATE = "queries.jsonl"
FIT = "queries-fit.jsonl"
PHRASINGS = {EVALUATE: "{name}", FIT: "a photo of a {name}"}
ALONE = {EVALUATE: "{name}", FIT: "an image with {name}"}
"""How a colour or a shape alone is asked for ("purple"; "an image with star")."""
DEFAULT_IMAGE_QUERIES = 20
DEFAULT_REGION_QUERIES = 60


def write_query_files(
    collection: Collection,
    *,
    images: int = DEFAULT_IMAGE_QUERIES,
    regions: int = DEFAULT_REGION_QUERIES,
) -> tuple[Path, Path]:
    """Write ``queries.jsonl`` and ``queries-fit.jsonl`` into the collection's folder."""
    rng = random.Random(f"imgsearch-queries/{collection.seed}")
    singles = [image for image in collection.images if len(image.objects) == 1]
    busy = [image for image in collection.images if len(image.objects) > 1]
    rng.shuffle(singles)
    rng.shuffle(busy)
    written = []
    for number, file in enumerate((EVALUATE, FIT)):
        lines = [_text(collection, PHRASINGS[file], f"{c} {s}") for c in COLOURS for s in SHAPES]
        lines += [_text(collection, ALONE[file], name) for name in (*COLOURS, *SHAPES)]
        for image in singles[number::2][:images]:
            lines.append(_example(collection, image))
        for image in busy[number::2][:regions]:
            lines.append(_region(collection, image, rng))
        path = collection.root / file
        temporary = path.with_name(f".{file}.tmp")
        temporary.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
        temporary.replace(path)
        written.append(path)
    return written[0], written[1]


def _relevant(collection: Collection, name: str, leave: LabeledImage | None = None) -> list[str]:
    return [
        str(image.path.relative_to(collection.root))
        for image in collection.images
        if image.contains(name) and image is not leave
    ]


def _text(collection: Collection, phrasing: str, name: str) -> dict[str, Any]:
    return {
        "id": f"text: {name}",
        "text": phrasing.format(name=name),
        "relevant": _relevant(collection, name),
    }


def _example(collection: Collection, image: LabeledImage) -> dict[str, Any]:
    name = image.objects[0].name
    own = str(image.path.relative_to(collection.root))
    return {"id": f"image: {name}", "image": own, "relevant": _relevant(collection, name, image)}


def _region(collection: Collection, image: LabeledImage, rng: random.Random) -> dict[str, Any]:
    target = rng.choice(image.objects)
    own = str(image.path.relative_to(collection.root))
    return {
        "id": f"region: {target.name}",
        "image": own,
        "box": list(target.box),
        "relevant": _relevant(collection, target.name, image),
    }
