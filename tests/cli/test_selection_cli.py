"""Many items at once from the command line: ``imgsearch annotate`` on several images
(and on the paths another command prints), ``imgsearch export`` as CSV, JSON lines or a
COCO subset, with ``--zip`` the files beside the document."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from tests.cli.test_cli import imgsearch


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[str, list[Path]]:
    root = tmp_path / "photos"
    collection = generate_collection(root, 8, seed=21)
    index = str(tmp_path / "index")
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([root])
        assert opened.import_annotations(root / ANNOTATIONS, [root]).problems == []
    return index, [image.path for image in collection.images]


def test_annotate_tags_many_and_reads_paths_from_standard_input(
    indexed: tuple[str, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    index, paths = indexed
    tagged = imgsearch(
        "annotate", str(paths[0]), str(paths[1]), "3", "--tag", "trip", "--index", index
    )
    assert tagged.returncode == 0, tagged.stderr
    assert len(tagged.stdout.splitlines()) == 3 and "tags=['trip']" in tagged.stdout
    listed = imgsearch("browse", "--tag", "trip", "--paths", "--index", index).stdout
    assert sorted(listed.splitlines()) == sorted(str(p) for p in paths[:3])

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{paths[1]}\n\n{paths[2]}\n"))
    untagged = imgsearch("annotate", "-", "--untag", "trip", "--tag", "beach", "--index", index)
    assert untagged.returncode == 0, untagged.stderr
    with Index.open(index) as opened:
        assert [opened.find(p).tags for p in paths[:4]] == [("trip",), ("beach",), ("beach",), ()]

    wrong = imgsearch("annotate", str(paths[0]), "--tag", "x", "--untag", "x", "--index", index)
    assert wrong.returncode == 2 and "added and removed" in wrong.stderr
    unknown = imgsearch("annotate", "/nowhere/x.jpg", "--tag", "x", "--index", index)
    assert unknown.returncode != 0 and "/nowhere/x.jpg" in unknown.stderr


def test_export_writes_csv_json_and_coco_and_zips_the_files(
    indexed: tuple[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, paths = indexed
    table = imgsearch("export", str(paths[2]), "1", "--index", index)
    assert table.returncode == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["path"] for r in rows] == [str(paths[2]), str(paths[0])]

    lines = imgsearch("export", "1", "2", "--format", "json", "--index", index).stdout
    assert [json.loads(line)["id"] for line in lines.splitlines()] == [1, 2]

    coco = imgsearch(
        "export", "1", "2", "--format", "coco", "-o", str(tmp_path / "c.json"), "--index", index
    )
    assert coco.returncode == 0 and coco.stdout == ""
    document = json.loads((tmp_path / "c.json").read_text())
    assert [i["file_name"] for i in document["images"]] == [paths[0].name, paths[1].name]
    with Index.open(index) as opened:
        boxes = sum(1 for i in (1, 2) for r in opened.regions(i) if r.region.label and r.region.box)
    assert len(document["annotations"]) == boxes > 0

    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{p}\n" for p in paths[:3])))
    zipped = tmp_path / "subset.zip"
    made = imgsearch("export", "-", "--format", "coco", "--zip", str(zipped), "--index", index)
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(zipped) as archive:
        assert archive.namelist() == [p.name for p in paths[:3]] + ["imgsearch-selection.coco.json"]
        assert archive.read(paths[1].name) == paths[1].read_bytes()
        inside = json.loads(archive.read("imgsearch-selection.coco.json"))
        assert {i["file_name"] for i in inside["images"]} <= set(archive.namelist())

    wrong = imgsearch("export", "1", "--format", "xml", "--index", index)
    assert wrong.returncode == 2 and "--format 'xml'" in wrong.stderr
