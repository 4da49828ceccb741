"""Reading COCO, YOLO and Pascal VOC: every usable box, and each unusable entry reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgsearch.errors import AnnotationsUnusable
from imgsearch.regions.annotations import LabeledBox, read_annotations


def coco(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(document))
    return path


def test_coco_boxes_labels_and_each_bad_entry(tmp_path: Path) -> None:
    document = {
        "images": [
            {"id": 1, "file_name": "street/0001.jpg"},
            {"id": 2, "file_name": "empty.jpg"},
            {"id": 3},  # no file name
        ],
        "categories": [{"id": 7, "name": "bus"}, {"id": 8, "name": "car"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 7, "bbox": [10, 20, 30, 40]},
            {"id": 11, "image_id": 1, "category_id": 8, "bbox": [1.5, 2, 3, 4], "score": 0.7},
            {"id": 12, "image_id": 9, "category_id": 7, "bbox": [0, 0, 1, 1]},
            {"id": 13, "image_id": 1, "category_id": 99, "bbox": [0, 0, 1, 1]},
            {"id": 14, "image_id": 1, "category_id": 7, "bbox": [0, 0, 0, 5]},
            {"id": 15, "image_id": 1, "category_id": 7, "bbox": "0,0,1,1"},
            "not an object",
        ],
    }
    parsed = read_annotations(coco(tmp_path, document))
    assert parsed.format == "coco" and not parsed.by_stem
    assert parsed.images == {
        "street/0001.jpg": [
            LabeledBox("bus", 10, 20, 30, 40),
            LabeledBox("car", 1.5, 2, 3, 4, score=0.7),
        ],
        "empty.jpg": [],  # named without boxes: its boxes are cleared on import
    }
    where = sorted(p.where for p in parsed.problems)
    assert where == sorted(
        [
            "instances.json: image #2",
            *(f"instances.json: annotation {n}" for n in (12, 13, 14, 15)),
            "instances.json: annotation #6",
        ]
    )
    messages = " | ".join(p.message for p in parsed.problems)
    assert "image_id 9" in messages and "category_id 99" in messages and "no area" in messages


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage", b'{"images": ' + b"[" * 100_000]
)
def test_an_unreadable_coco_file_is_one_problem(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    parsed = read_annotations(path)
    assert parsed.images == {} and len(parsed.problems) == 1
    assert "not a readable COCO file" in parsed.problems[0].message


def test_yolo_folders_with_classes_confidences_polygons_and_bad_lines(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    (labels / "train").mkdir(parents=True)
    (labels / "classes.txt").write_text("bus\ncar\n")
    (labels / "train" / "0001.txt").write_text(
        "0 0.5 0.5 0.2 0.4\n"
        "1 0.25 0.25 0.1 0.1 0.9\n"  # a detector's confidence
        "1 0.1 0.1 0.3 0.1 0.2 0.4\n"  # a polygon: its bounding box
        "\n"
        "5 0.5 0.5 0.1 0.1\n"  # no such class
        "0 half 0.5 0.1 0.1\n"
        "0 0.5 0.5 0.1\n"
    )
    (labels / "train" / "0002.txt").write_text("")
    parsed = read_annotations(labels)
    assert parsed.format == "yolo" and parsed.by_stem
    boxes = parsed.images["train/0001"]
    assert boxes[0] == LabeledBox("bus", 0.4, 0.3, 0.2, 0.4, unit="fraction")
    assert boxes[1].score == 0.9 and boxes[1].label == "car"
    assert (boxes[2].x, boxes[2].y) == (0.1, 0.1)
    assert boxes[2].w == pytest.approx(0.2) and boxes[2].h == pytest.approx(0.3)
    assert parsed.images["train/0002"] == []
    assert sorted(p.where for p in parsed.problems) == [
        "train/0001.txt:5",
        "train/0001.txt:6",
        "train/0001.txt:7",
    ]


def test_yolo_class_names_from_a_dataset_yaml(tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text("path: .\nnames:\n  0: person\n  1: bicycle\n")
    (tmp_path / "a.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    assert read_annotations(tmp_path).images["a"][0].label == "bicycle"


LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
        f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
        for n in range(7)
    )
    + "names: [*h]\n"
)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (LAUGHS, "class name 0 is not text"),  # 387 bytes: once a 72 MB label
        ("names: {zero: person}\n", "whole numbers"),
        ("names: [" + "9" * 5000 + "]\n", "cannot read class names"),  # was a ValueError
        ("names: [person, '" + "x" * 300 + "']\n", "class name 1 is empty or over 200"),
        ("names: 7\n", "no 'names' list"),
    ],
)
def test_yolo_class_names_that_are_not_short_text_are_one_problem(
    tmp_path: Path, document: str, problem: str
) -> None:
    (tmp_path / "data.yaml").write_text(document)
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    parsed = read_annotations(tmp_path)
    assert parsed.images == {}
    assert any(problem in p.message for p in parsed.problems), parsed.problems
    assert all(len(p.message) < 500 for p in parsed.problems)


def test_yolo_without_class_names_says_where_to_put_them(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    parsed = read_annotations(tmp_path)
    assert parsed.images == {} and "classes.txt" in parsed.problems[0].message


VOC = """<annotation>
  <folder>VOC2012</folder><filename>2008_000008.jpg</filename>
  <size><width>500</width><height>442</height><depth>3</depth></size>
  <object><name>horse</name><bndbox><xmin>53</xmin><ymin>87</ymin><xmax>471</xmax><ymax>420</ymax></bndbox></object>
  <object><name>person</name><difficult>0</difficult>
    <bndbox><xmin>158</xmin><ymin>44</ymin><xmax>289</xmax><ymax>167</ymax></bndbox></object>
  <object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
  <object><name>dog</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
</annotation>"""


def test_voc_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "Annotations"
    folder.mkdir()
    (folder / "2008_000008.xml").write_text(VOC)
    (folder / "broken.xml").write_text("<annotation><filename>x.jpg</filename>")
    parsed = read_annotations(folder)
    assert parsed.format == "voc"
    assert parsed.images["2008_000008.jpg"] == [
        LabeledBox("horse", 52, 86, 419, 334),  # 1-based corners, inclusive
        LabeledBox("person", 157, 43, 132, 124),
    ]
    assert sorted(p.where for p in parsed.problems) == [
        "2008_000008.xml: object 3",
        "2008_000008.xml: object 4",
        "broken.xml",
    ]
    single = read_annotations(folder / "2008_000008.xml")
    assert single.images == {"2008_000008.jpg": parsed.images["2008_000008.jpg"]}


def test_xml_entity_bombs_are_refused_not_expanded(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{"&lol{};".format(n - 1 if n > 1 else "") * 10}">'
            for n in range(1, 10)
        )
        + "]><annotation><filename>a.jpg</filename><object><name>&lol9;</name></object></annotation>"
    )
    (tmp_path / "bomb.xml").write_text(bomb)
    parsed = read_annotations(tmp_path / "bomb.xml")
    assert parsed.images == {} and "not a readable VOC file" in parsed.problems[0].message


def test_paths_that_are_no_annotations_are_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("hello")
    with pytest.raises(AnnotationsUnusable, match="holds no annotations") as refused:
        read_annotations(tmp_path)
    assert "COCO" in refused.value.hint
    with pytest.raises(AnnotationsUnusable, match="no such file"):
        read_annotations(tmp_path / "missing.json")
    with pytest.raises(AnnotationsUnusable, match="not an annotations file"):
        read_annotations(tmp_path / "notes.md")
