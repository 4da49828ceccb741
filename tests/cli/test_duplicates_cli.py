"""``imgsearch duplicates`` end to end: copies found, look-alikes and strangers left out,
nothing deleted, JSON for scripts, folders and the threshold respected."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from PIL import Image

from tests.cli.test_cli import imgsearch
from tests.conftest import photo


def collection(root: Path) -> dict[str, Path]:
    """Six different photos, a resized + re-encoded copy of one, a byte-identical copy of
    another (in another folder), and a colour-adjusted copy of a third."""
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    paths = {}
    for n in range(6):
        paths[f"photo{n}"] = root / "a" / f"photo{n}.png"
        photo(320, 240, seed=100 + n).save(paths[f"photo{n}"])
    with Image.open(paths["photo0"]) as image:
        paths["small"] = root / "b" / "photo0-small.jpg"
        image.resize((160, 120), Image.Resampling.LANCZOS).save(paths["small"], quality=70)
    paths["same"] = root / "b" / "photo1-copy.png"
    shutil.copyfile(paths["photo1"], paths["same"])
    with Image.open(paths["photo2"]) as image:
        paths["darker"] = root / "b" / "photo2-darker.png"
        image.point(lambda v: int(v * 0.92)).save(paths["darker"])
    return paths


def groups_of(stdout: str) -> list[set[str]]:
    return [{Path(m["path"]).name for m in g["members"]} for g in json.loads(stdout)["groups"]]


def test_copies_are_grouped_with_their_originals_and_nothing_is_deleted(tmp_path: Path) -> None:
    paths = collection(tmp_path / "photos")
    index = str(tmp_path / "index")
    assert (
        imgsearch("index", str(tmp_path / "photos"), "--index", index, "-m", "fake-hash").returncode
        == 0
    )
    result = imgsearch("duplicates", "--index", index, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(map(sorted, groups_of(result.stdout))) == [
        ["photo0-small.jpg", "photo0.png"],
        ["photo1-copy.png", "photo1.png"],
        ["photo2-darker.png", "photo2.png"],
    ]
    by_kind = {g["kind"]: g for g in report["groups"]}
    assert set(by_kind) == {"exact", "near"}
    exact = next(g for g in report["groups"] if g["kind"] == "exact")
    assert exact["pairs"][0]["exact"] and exact["pairs"][0]["confidence"] == 1.0
    small = next(
        g for g in report["groups"] if "photo0.png" in {Path(m["path"]).name for m in g["members"]}
    )
    assert Path(small["members"][0]["path"]).name == "photo0.png"  # the larger one to keep
    pair = small["pairs"][0]
    assert pair["confidence"] >= 0.5 and pair["layout"] > 0.9 and not pair["exact"]
    assert report["pictures"] == 9 and report["duplicate_pictures"] == 3
    assert report["exact_groups"] == 1
    assert all(path.exists() for path in paths.values())  # only a report


def test_folders_threshold_and_the_readable_report(tmp_path: Path) -> None:
    collection(tmp_path / "photos")
    index = str(tmp_path / "index")
    imgsearch("index", str(tmp_path / "photos"), "--index", index, "-m", "fake-hash")
    only_b = imgsearch(
        "duplicates", "--index", index, "--under", str(tmp_path / "photos" / "b"), "--json"
    )
    assert groups_of(only_b.stdout) == []  # the originals lie in a/
    strict = imgsearch("duplicates", "--index", index, "--min-confidence", "0.9999", "--json")
    assert {"photo1.png", "photo1-copy.png"} in groups_of(strict.stdout)  # same bytes stay
    assert json.loads(strict.stdout)["min_confidence"] == 0.9999
    text = imgsearch("duplicates", "--index", index)
    assert text.returncode == 0
    assert "3 groups (1 of identical files)" in text.stdout
    assert "keep?" in text.stdout and "same bytes" in text.stdout
    bad = imgsearch("duplicates", "--index", index, "--min-confidence", "1.5")
    assert bad.returncode != 0


def test_an_index_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    result = imgsearch("duplicates", "--index", str(tmp_path / "nothing"))
    assert result.returncode != 0
    assert "no index" in result.stderr


def test_an_index_made_before_thumbprints_gets_them_on_its_next_run(tmp_path: Path) -> None:
    collection(tmp_path / "photos")
    index = tmp_path / "index"
    imgsearch("index", str(tmp_path / "photos"), "--index", str(index), "-m", "fake-hash")
    with sqlite3.connect(index / "index.db") as db:  # as an older imgsearch left it
        db.execute("UPDATE images SET thumbprint = NULL")
    before = json.loads(imgsearch("duplicates", "--index", str(index), "--json").stdout)
    assert "9 pictures have no thumbprint" in before["notes"][0]
    (tmp_path / "photos" / "a" / "photo5.png").write_bytes(b"not a picture any more")
    again = imgsearch("index", str(tmp_path / "photos"), "--index", str(index), "--json")
    summary = json.loads(again.stdout)
    assert summary["thumbprinted"] == 8 and summary["embedded"] == 0  # the model did not run
    after = json.loads(imgsearch("duplicates", "--index", str(index), "--json").stdout)
    assert after["notes"] == [] and len(after["groups"]) == 3
    text = imgsearch("index", str(tmp_path / "photos"), "--index", str(index))
    assert "thumbprints added" not in text.stdout + text.stderr  # nothing left to add
