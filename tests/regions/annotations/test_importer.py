"""Importing annotations into an index: boxes become searchable regions, re-imports embed
only what changed, and every unusable entry is reported while the rest goes in."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from imgsearch import Index, Query, QueryPart
from imgsearch.demo.collection import ANNOTATIONS, IMAGES, Collection, generate_collection
from imgsearch.types import Box
from tests.regions.annotations.writers import write_yolo_and_voc


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Collection, Path]:
    collection = generate_collection(tmp_path / "shapes", 12, seed=5)
    index = tmp_path / "index"
    with Index.open(index, model="fake-hash") as opened:
        opened.update([collection.root])
    return collection, index


def boxes_of(collection: Collection) -> dict[str, list[tuple[str, tuple[int, int, int, int]]]]:
    return {str(i.path): sorted((o.name, o.box) for o in i.objects) for i in collection.images}


def stored_boxes(
    index: Index, collection: Collection
) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    found = {}
    for image in collection.images:
        regions = index.regions(image.path)
        found[str(image.path)] = sorted(
            (
                r.region.label or "",
                tuple(
                    round(v)
                    for v in (r.region.box.x, r.region.box.y, r.region.box.w, r.region.box.h)
                ),
            )
            for r in regions
            if r.region.box is not None
        )
    return found


def test_the_demo_collections_coco_file_becomes_regions(demo: tuple[Collection, Path]) -> None:
    collection, index_path = demo
    total = sum(len(i.objects) for i in collection.images)
    with Index.open(index_path) as index:
        report = index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        assert report.problems == []
        assert (report.images, report.regions, report.embedded) == (12, total, total)
        assert stored_boxes(index, collection) == boxes_of(collection)
        assert index.status().regions == total
        # Again: nothing changed, nothing is embedded.
        again = index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        assert (again.embedded, again.kept, again.removed) == (0, total, 0)


def test_a_re_import_embeds_only_the_boxes_that_changed(
    demo: tuple[Collection, Path], tmp_path: Path
) -> None:
    collection, index_path = demo
    document = json.loads((collection.root / ANNOTATIONS).read_text())
    with Index.open(index_path) as index:
        index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        first = document["annotations"][0]
        first["bbox"] = [first["bbox"][0] + 1, *first["bbox"][1:]]  # moved by a pixel
        removed = document["annotations"].pop()  # gone from the file
        edited = tmp_path / "edited.json"
        edited.write_text(json.dumps(document))
        report = index.import_annotations(edited, [collection.root])
        assert (report.embedded, report.removed) == (1, 2)  # the moved box: one out, one in
        assert report.regions == sum(len(i.objects) for i in collection.images) - 1
        ids = {r.image_id for r in index.store.regions.of([removed["image_id"]])}
        assert ids <= {removed["image_id"]}


def test_yolo_and_voc_give_the_same_regions_as_coco(
    demo: tuple[Collection, Path], tmp_path: Path
) -> None:
    collection, index_path = demo
    yolo, voc = write_yolo_and_voc(collection.root / ANNOTATIONS, tmp_path)
    expected = boxes_of(collection)
    for source in (yolo, voc):
        with Index.open(index_path) as index:
            report = index.import_annotations(source, [collection.root])
            assert report.problems == [], (source, report.problems[:3])
            assert stored_boxes(index, collection) == expected, source


def test_every_unusable_entry_is_reported_and_the_rest_imported(
    demo: tuple[Collection, Path], tmp_path: Path
) -> None:
    collection, index_path = demo
    document = json.loads((collection.root / ANNOTATIONS).read_text())
    first, second = document["images"][0], document["images"][1]
    document["images"].append({"id": 999, "file_name": "images/not-there.jpg"})
    document["annotations"] += [
        {"id": 5000, "image_id": 999, "category_id": 1, "bbox": [0, 0, 5, 5]},
        {
            "id": 5001,
            "image_id": first["id"],
            "category_id": 1,
            "bbox": [first["width"] - 2, 0, 50, 50],
        },  # outside
        {
            "id": 5002,
            "image_id": first["id"],
            "category_id": 1,
            "bbox": [first["width"] - 30, 0, 40, 20],
        },  # clipped
    ]
    path = tmp_path / "with-errors.json"
    path.write_text(json.dumps(document))
    changed = collection.root / second["file_name"]
    os.utime(changed, ns=(1, 1))  # changed since it was indexed
    with Index.open(index_path) as index:
        report = index.import_annotations(path, [collection.root])
    messages = {p.where: p.message for p in report.problems}
    assert "not an indexed image" in messages["images/not-there.jpg"]
    assert any("outside the" in m for m in messages.values())
    assert "changed since it was indexed" in messages[str(changed)]
    assert report.clipped == 1
    assert report.images == 11  # all but the changed one


def test_a_drawn_box_finds_the_image_through_its_region(demo: tuple[Collection, Path]) -> None:
    collection, index_path = demo
    with Index.open(index_path) as index:
        index.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        image = collection.images[3]
        thing = image.objects[0]
        x, y, w, h = thing.box
        query = Query((QueryPart(image=str(image.path), box=Box(x, y, w, h, padding=0.1)),), top=3)
        [hit, *_] = index.search(query)
        assert hit.image.path == str(image.path) and hit.region is not None
        assert hit.region.region.label == thing.name
        assert hit.cosine == pytest.approx(1.0, abs=1e-4)
        whole = index.search(Query(query.parts, top=3, regions=False))
        assert all(h.region is None for h in whole)


def test_images_renamed_folder_still_match(demo: tuple[Collection, Path], tmp_path: Path) -> None:
    """Indexing the images folder itself: COCO's images/x.jpg still names <root>/x.jpg."""
    collection, _ = demo
    index_path = tmp_path / "index-of-images"
    with Index.open(index_path, model="fake-hash") as index:
        index.update([collection.root / IMAGES])
        report = index.import_annotations(collection.root / ANNOTATIONS, [collection.root / IMAGES])
    assert report.problems == [] and report.images == 12
    assert np.isfinite(report.seconds)
    shutil.rmtree(index_path)
