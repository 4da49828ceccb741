"""Models side by side: the same collection and labelled queries, one index per model.

Each model embeds the collection into an index of its own under ``work`` (kept there, so
a second comparison only embeds what changed), with the base index's annotation boxes
imported again (label rules and ``"sources": ["annotation"]`` need them), and the query
file is evaluated on each exactly as :func:`imgsearch.evaluation.evaluate` does. Each
model decodes the files itself: no decoded pixels are shared between models yet.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from imgsearch.errors import InvalidSettings
from imgsearch.evaluation import Evaluation, evaluate
from imgsearch.evaluation.queries import QueryFile, read_queries
from imgsearch.index import Index
from imgsearch.models.settings import ModelSettings
from imgsearch.regions.annotations.importer import relative_to_roots
from imgsearch.store import Store

ANNOTATIONS = "annotations-of-the-base-index.json"
LABEL_PAGE = 10_000


def compare(
    models: Sequence[ModelSettings],
    queries: str | os.PathLike[str] | QueryFile,
    folders: Sequence[str],
    work: Path,
    *,
    base: Index | None = None,
    on_model: Callable[[str], None] | None = None,
    **options: Any,
) -> list[tuple[str, Evaluation]]:
    """Evaluate ``queries`` with each of ``models`` on the images under ``folders``;
    ``base``: the index whose annotation boxes each model's index gets too. ``options``
    go to :func:`~imgsearch.evaluation.evaluate` (``depth``, ``cut``,
    ``metadata_weight``)."""
    if not models:
        raise InvalidSettings("name at least one model to compare")
    if not folders:
        raise InvalidSettings(
            "no folder to embed for the comparison", hint="name the collection's folders"
        )
    if not isinstance(queries, QueryFile):
        queries = read_queries(queries)  # once for every model
    work.mkdir(parents=True, exist_ok=True)
    boxes = write_annotations(base.store, folders, work / ANNOTATIONS) if base is not None else None
    results = []
    for settings in models:
        name = settings.name or "default"
        if on_model is not None:
            on_model(name)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"
        with Index.open(work / slug, model=settings) as index:
            index.update(folders)
            if boxes is not None:
                index.import_annotations(boxes, folders)
            results.append((name, evaluate(index, queries, **options)))
    return results


def write_annotations(store: Store, folders: Sequence[str], path: Path) -> Path | None:
    """The annotation boxes ``store`` holds for images under ``folders``, as a COCO file at
    ``path`` (file names relative to their folder); None when it holds none."""
    roots = [str(Path(f).expanduser().resolve()) for f in folders]
    files = {f.id: f.path for f in store.files_under(roots)}
    images: dict[int, dict[str, Any]] = {}
    categories: dict[str, int] = {}
    annotations: list[dict[str, Any]] = []
    after = 0
    while page := store.regions.labelled(after=after, limit=LABEL_PAGE):
        after = page[-1].id
        for record in page:
            box, label = record.region.box, record.region.label
            if record.image_id not in files or box is None or label is None:
                continue
            images.setdefault(
                record.image_id,
                {
                    "id": record.image_id,
                    "file_name": relative_to_roots(files[record.image_id], roots),
                },
            )
            category = categories.setdefault(label, len(categories) + 1)
            annotations.append(
                {"id": len(annotations) + 1, "image_id": record.image_id,
                 "category_id": category, "bbox": [box.x, box.y, box.w, box.h]}
            )  # fmt: skip
    if not annotations:
        return None
    document = {
        "images": list(images.values()),
        "annotations": annotations,
        "categories": [{"id": i, "name": name} for name, i in categories.items()],
    }
    path.write_text(json.dumps(document), "utf-8")
    return path
