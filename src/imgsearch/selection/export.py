"""A selection of indexed items written out: a CSV table, JSON lines (the fields
``imgsearch browse --json`` prints) or a COCO subset — the selected pictures with every
labelled box they hold, ready to train or evaluate on. File names are relative to the
folder that holds them all (:attr:`Selection.folder`), the names an archive of the same
selection gives its entries, so a COCO file and a zip of its pictures fit together."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from imgsearch.errors import InvalidQuery, NotIndexed
from imgsearch.query.hits import local_time
from imgsearch.store import ImageRecord, RegionRecord

if TYPE_CHECKING:
    from imgsearch.index import Index

MAX_SELECTED = 10_000
"""Items one export, archive or tagging may name."""
EXPORT_FORMATS = ("csv", "json", "coco")
CSV_COLUMNS = ("id", "path", "name", "taken", "media", "width", "height", "format", "bytes",
               "caption", "tags", "camera", "latitude", "longitude")  # fmt: skip


@dataclass(frozen=True)
class Selection:
    """Indexed items in the order chosen (ids not indexed: in ``missing``), and the
    folder that holds them all (``/`` at worst)."""

    records: list[ImageRecord]
    missing: list[int]

    @cached_property  # every name is relative to it: computed once, not once per item
    def folder(self) -> str:
        if not self.records:
            return "/"
        return os.path.commonpath([str(PurePosixPath(r.path).parent) for r in self.records])

    def name(self, record: ImageRecord) -> str:
        """``record``'s path relative to :attr:`folder` (``2023/trip/a.jpg``)."""
        return os.path.relpath(record.path, self.folder)


def select(index: Index, ids: Sequence[int]) -> Selection:
    """The items of ``ids`` (each once, in order); more than :data:`MAX_SELECTED` is refused."""
    unique = list(dict.fromkeys(int(i) for i in ids))
    if len(unique) > MAX_SELECTED:
        raise InvalidQuery(
            f"{len(unique):,} items selected; at most {MAX_SELECTED:,} at once",
            hint="narrow the selection with filters, or work through it in parts",
        )
    records, missing = [], []
    for image_id in unique:
        try:
            records.append(index.get(image_id))
        except NotIndexed:
            missing.append(image_id)  # deleted since it was shown: left out, and said
    return Selection(records, missing)


def item_as_dict(record: ImageRecord) -> dict[str, Any]:
    """An item's JSON fields as a listing gives them (``imgsearch browse --json``)."""
    return {
        "id": record.id,
        "path": record.path,
        "taken": local_time(record.sort_time),
        "captured_at_exif": record.captured_at is not None,
        "media": record.kind,
        "width": record.width,
        "height": record.height,
        "format": record.format,
        "bytes": record.size,
        "caption": record.caption,
        "tags": list(record.tags),
        "camera": record.camera,
        "latitude": record.latitude,
        "longitude": record.longitude,
    }


def _row(selection: Selection, record: ImageRecord) -> dict[str, Any]:
    return {**item_as_dict(record), "name": selection.name(record)}


def export_csv(selection: Selection) -> str:
    """One row per item (:data:`CSV_COLUMNS`; tags joined by ``;``). A cell that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is quoted with a
    leading ``'``: a file name is data, never a formula (CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in selection.records:
        row = _row(selection, record)
        row["tags"] = ";".join(row["tags"])
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_json_lines(selection: Selection) -> str:
    """One JSON object per line and item."""
    return "".join(
        json.dumps(_row(selection, r), ensure_ascii=False) + "\n" for r in selection.records
    )


def export_coco(index: Index, selection: Selection) -> dict[str, Any]:
    """A COCO detection document of the selected pictures (videos and documents are left
    out: COCO has no place for them) with every box that has a label — imported
    annotations and a detector's, whose ``score`` is kept as results files keep it."""
    pictures = [r for r in selection.records if r.kind == "image"]
    categories: dict[str, int] = {}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for record in pictures:
        images.append({"id": record.id, "file_name": selection.name(record),
                       "width": record.width, "height": record.height})  # fmt: skip
        for stored in index.regions(record):
            annotation = _annotation(stored, record.id, categories)
            if annotation is not None:
                annotation["id"] = len(annotations) + 1
                annotations.append(annotation)
    return {
        "info": {
            "description": f"{len(images)} pictures selected in imgsearch",
            "root": selection.folder,
            "left_out": {
                "not_pictures": len(selection.records) - len(pictures),
                "not_indexed": len(selection.missing),
            },
        },
        "images": images,
        "annotations": annotations,
        "categories": [{"id": n, "name": name} for name, n in categories.items()],
    }


def _annotation(
    stored: RegionRecord, image_id: int, categories: dict[str, int]
) -> dict[str, Any] | None:
    region = stored.region
    if region.box is None or not region.label:
        return None  # a grid patch, a video frame, a page: nothing COCO can say
    category = categories.setdefault(region.label, len(categories) + 1)
    box = region.box
    annotation: dict[str, Any] = {
        "image_id": image_id,
        "category_id": category,
        "bbox": [box.x, box.y, box.w, box.h],
        "area": box.w * box.h,
        "iscrowd": 0,
        "source": region.source,
    }
    if region.score is not None:
        annotation["score"] = region.score
    return annotation
