"""A generated collection on disk: image files plus COCO-style labels.

``generate_collection(out, count, seed)`` writes ``out/images/shape-00000.jpg``
… (JPEG and PNG mixed, assorted sizes; with ``mode="scenes"``, cluttered scenes of
many small objects named ``scene-00000.jpg`` …, see :mod:`imgsearch.demo.clutter`) and ``out/annotations.json`` in the
COCO layout — ``images`` (with each image's caption and background),
``annotations`` (one per object: category, ``bbox`` as x, y, w, h in pixels,
colour, shape, size) and ``categories`` (one per colour + shape). File names
carry no labels, so a search that finds red circles found them by looking.

Image ``i`` depends only on ``(seed, i)``: a larger collection with the same
seed extends a smaller one, and a re-run only draws files that are missing.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from collections.abc import Collection as Collection_
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgsearch.demo.clutter import sample_cluttered_scene
from imgsearch.demo.shapes import COLOURS, SHAPES, Scene, bounding_box, render, sample_scene
from imgsearch.errors import InputError
from imgsearch.pipeline import ordered_map

ANNOTATIONS = "annotations.json"
IMAGES = "images"
GENERATOR_VERSION = 1
MODES = ("shapes", "scenes")


@dataclass(frozen=True)
class LabeledObject:
    colour: str
    shape: str
    size: str
    box: tuple[int, int, int, int]

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"


@dataclass(frozen=True)
class LabeledImage:
    path: Path
    width: int
    height: int
    caption: str
    objects: tuple[LabeledObject, ...]

    def contains(self, name: str) -> bool:
        """Whether an object called ``name`` ("red circle", or just "circle") is in the image."""
        return any(name in (o.name, o.shape, o.colour) for o in self.objects)

    @property
    def phrases(self) -> set[str]:
        """What is true of the picture in the demo model's own words — each object's colour,
        shape and "colour shape" (``contains`` holds for each): its true tags."""
        return {tag for o in self.objects for tag in (o.colour, o.shape, o.name)}


@dataclass(frozen=True)
class Collection:
    root: Path
    seed: int
    images: tuple[LabeledImage, ...]

    def by_path(self) -> dict[str, LabeledImage]:
        return {str(image.path): image for image in self.images}


def scene_for(
    seed: int, index: int, mode: str = "shapes", leave_out: frozenset[str] = frozenset()
) -> Scene:
    """Image ``index`` of the collection with ``seed`` in ``mode``; scenes holding an
    object named in ``leave_out`` ("red circle") are drawn again from the same generator,
    so the collection holds none and other images stay the same."""
    rng = random.Random(f"imgsearch-{mode}/{seed}/{index}")
    while True:
        scene = sample_cluttered_scene(rng) if mode == "scenes" else sample_scene(rng)
        if not any(thing.name in leave_out for thing in scene.things):
            return scene


def expand_left_out(names: Collection_[str]) -> list[str]:
    """Colour + shape combinations for ``names``: a colour stands for it with every
    shape, a shape for it in every colour (sorted, each once)."""
    combinations = set()
    for name in names:
        if name in COLOURS:
            combinations |= {f"{name} {shape}" for shape in SHAPES}
        elif name in SHAPES:
            combinations |= {f"{colour} {name}" for colour in COLOURS}
        else:
            combinations.add(name)
    return sorted(combinations)


def file_name(index: int, scene: Scene) -> str:
    stem = "scene" if scene.clutter else "shape"
    return f"{stem}-{index:05d}.{'jpg' if scene.format == 'jpeg' else 'png'}"


def generate_collection(
    out: Path,
    count: int,
    seed: int = 0,
    *,
    mode: str = "shapes",
    leave_out: Collection_[str] = (),
    on_image: Callable[[int], None] | None = None,
) -> Collection:
    """Write (or complete) a collection of ``count`` images; return its labels.
    ``leave_out``: colour + shape combinations ("red circle"), colours ("purple") or
    shapes ("star") no image shows (for queries that should find nothing)."""
    if count < 1:
        raise InputError(f"--count must be at least 1, not {count}")
    if mode not in MODES:
        raise InputError(f"unknown collection mode {mode!r}", hint="use shapes or scenes")
    known = {f"{colour} {shape}" for colour in COLOURS for shape in SHAPES}
    left_out = frozenset(expand_left_out(leave_out))
    if left_out - known:
        raise InputError(
            f"unknown colour + shape {sorted(left_out - known)[0]!r}",
            hint=f"colours: {', '.join(COLOURS)}; shapes: {', '.join(SHAPES)}",
        )
    if left_out >= known:
        raise InputError("leaving out every colour + shape leaves nothing to draw")
    out = out.expanduser().resolve()
    (out / IMAGES).mkdir(parents=True, exist_ok=True)
    existing = _read_annotations(out)
    if existing is not None and sorted(existing.get("info", {}).get("left_out", [])) != sorted(
        left_out
    ):
        raise InputError(
            f"{out} holds a collection generated with other left-out combinations",
            hint="generate into another folder",
        )
    if existing is not None and _matches(existing, count, seed, mode, out):
        collection = _collection(out, existing)
        if on_image is not None:
            for i in range(count):
                on_image(i)
        return collection
    scenes = [scene_for(seed, i, mode, left_out) for i in range(count)]
    workers = os.cpu_count() or 1
    for future in ordered_map(
        lambda item: _write(out, *item), enumerate(scenes), workers=workers, window=4 * workers
    ):
        index, _ = future.result()
        if on_image is not None:
            on_image(index)
    document = _coco(seed, mode, scenes, sorted(left_out))
    temporary = out / f".{ANNOTATIONS}.tmp"
    temporary.write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    temporary.replace(out / ANNOTATIONS)
    return _collection(out, document)


def _write(out: Path, index: int, scene: Scene) -> tuple[int, Path]:
    """Draw image ``index`` unless it is already there; files appear whole (rename)."""
    path = out / IMAGES / file_name(index, scene)
    if path.exists():
        return index, path
    image = render(scene, scene.width * 2, scene.height * 2).reduce(2)  # anti-aliased edges
    temporary = path.with_name(f".{path.name}.tmp")
    if scene.format == "jpeg":
        image.save(temporary, "JPEG", quality=scene.quality)
    else:
        image.save(temporary, "PNG")
    temporary.replace(path)
    return index, path


def _coco(seed: int, mode: str, scenes: list[Scene], left_out: list[str]) -> dict[str, Any]:
    names = [f"{colour} {shape}" for colour in COLOURS for shape in SHAPES]
    category = {name: i + 1 for i, name in enumerate(names)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for index, scene in enumerate(scenes):
        images.append(
            {
                "id": index + 1,
                "file_name": f"{IMAGES}/{file_name(index, scene)}",
                "width": scene.width,
                "height": scene.height,
                "caption": scene.caption,
                "background": scene.background.describe(),
            }
        )
        for thing in scene.things:
            x, y, w, h = bounding_box(thing, scene.width, scene.height)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 1,
                    "category_id": category[thing.name],
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                    "colour": thing.colour,
                    "shape": thing.shape,
                    "size": thing.size,
                }
            )
    return {
        "info": {
            "description": "imgsearch generated shapes collection",
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "mode": mode,
            "count": len(scenes),
            **({"left_out": left_out} if left_out else {}),
        },
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": category[name], "name": name, "supercategory": name.split()[1]} for name in names
        ],
    }


def load_collection(root: Path) -> Collection:
    """The labels of a generated collection at ``root``."""
    root = root.expanduser().resolve()
    document = _read_annotations(root)
    if document is None:
        raise InputError(
            f"{root} holds no generated collection ({ANNOTATIONS} is missing or unreadable)",
            hint="create one with `imgsearch demo generate FOLDER`",
        )
    return _collection(root, document)


def _read_annotations(root: Path) -> dict[str, Any] | None:
    try:
        document = json.loads((root / ANNOTATIONS).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _matches(document: dict[str, Any], count: int, seed: int, mode: str, root: Path) -> bool:
    info = document.get("info", {})
    return (
        info.get("generator_version") == GENERATOR_VERSION
        and info.get("seed") == seed
        and info.get("mode", "shapes") == mode
        and info.get("count") == count
        and all((root / image["file_name"]).is_file() for image in document["images"])
    )


def _collection(root: Path, document: dict[str, Any]) -> Collection:
    objects: dict[int, list[LabeledObject]] = {}
    for entry in document["annotations"]:
        x, y, w, h = entry["bbox"]
        objects.setdefault(entry["image_id"], []).append(
            LabeledObject(entry["colour"], entry["shape"], entry["size"], (x, y, w, h))
        )
    images = tuple(
        LabeledImage(
            root / image["file_name"],
            image["width"],
            image["height"],
            image["caption"],
            tuple(objects.get(image["id"], ())),
        )
        for image in document["images"]
    )
    return Collection(root, int(document["info"]["seed"]), images)


def iter_names(collection: Collection) -> Iterator[str]:
    """Every colour + shape that occurs in the collection, in catalogue order."""
    present = {o.name for image in collection.images for o in image.objects}
    return (f"{c} {s}" for c in COLOURS for s in SHAPES if f"{c} {s}" in present)
