"""End to end through the CLI: index, search, status — and a run killed with SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from tests.cli.test_cli import imgsearch
from tests.conftest import photo


def make_collection(root: Path, count: int) -> None:
    (root / "beach").mkdir(parents=True)
    (root / "city").mkdir()
    for i in range(count):
        folder = root / ("beach" if i % 3 == 0 else "city")
        photo(64 + i % 5, 48, seed=i).save(folder / f"shot_{i:04}.{'png' if i % 4 == 0 else 'jpg'}")


def test_index_search_status_through_the_cli(tmp_path: Path) -> None:
    root, index = tmp_path / "photos", tmp_path / "index"
    make_collection(root, 12)
    (root / "city" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = imgsearch("index", str(root), "--index", str(index), "--model", "fake-hash", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["added"] == 12 and summary["counts"]["failed"] == 1
    assert summary["failures"][0]["path"].endswith("broken.jpg")

    strict = imgsearch("index", str(root), "--index", str(index), "--strict", "--retry-failed")
    assert strict.returncode == 5

    hits = imgsearch(
        "search", "beach", "--index", str(index), "--json", "--top", "4", "--metadata-weight", "1"
    )
    assert hits.returncode == 0, hits.stderr
    rows = [json.loads(line) for line in hits.stdout.splitlines()]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert all(set(r) >= {"relevance", "cosine", "metadata_score", "path", "taken"} for r in rows)
    # ranked by metadata alone: the folder name "beach" is in those images' metadata text
    assert all("/beach/" in r["path"] and r["metadata_score"] > 0 for r in rows)

    target = root / "city" / "shot_0001.jpg"
    similar = imgsearch(
        "search", "--image", str(target), "--index", str(index), "--paths", "--top", "1"
    )
    assert similar.stdout.strip() == str(target.resolve())

    annotated = imgsearch(
        "annotate",
        str(target),
        "--caption",
        "lighthouse at dusk",
        "--tag",
        "trip",
        "--index",
        str(index),
    )
    assert annotated.returncode == 0, annotated.stderr
    by_caption = imgsearch(
        "search",
        "lighthouse",
        "--index",
        str(index),
        "--metadata-weight",
        "1",
        "--paths",
        "--top",
        "1",
    )
    assert by_caption.stdout.strip() == str(target.resolve())

    filtered = imgsearch(
        "search", "a photo", "--under", str(root / "city"), "--format", "png",
        "--index", str(index), "--paths", "--top", "50",
    )  # fmt: skip
    paths = filtered.stdout.split()
    assert paths and all("/city/" in p and p.endswith(".png") for p in paths)

    status = imgsearch("status", "--index", str(index), "--errors", "--json")
    body = json.loads(status.stdout)
    assert body["images"] == 12 and body["model"] == "fake-hash" and body["failures"] == 1
    assert (
        body["errors"][0]["code"] == "CorruptImage"
        or body["errors"][0]["code"] == "UnsupportedImage"
    )
    assert body["last_run"]["completed"] is True

    missing = imgsearch("search", "x", "--index", str(tmp_path / "nowhere"))
    assert missing.returncode == 4 and "imgsearch index" in missing.stderr
    bad_box = imgsearch("search", "--box", "1,2,3", "--image", str(target), "--index", str(index))
    assert bad_box.returncode == 2 and "box" in bad_box.stderr


def committed(index: Path) -> int:
    try:
        with sqlite3.connect(index / "index.db", timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM images").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def snapshot(index: Path) -> dict[int, tuple[str, bytes]]:
    with sqlite3.connect(index / "index.db") as db:
        return {
            row[0]: (row[1], row[2]) for row in db.execute("SELECT id, path, vector FROM images")
        }


@pytest.mark.slow
def test_sigkill_at_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_collection(root, 300)
    args = ["--model", "fake-hash", "--batch-size", "8", "--quiet"]
    reference = tmp_path / "reference"
    done = imgsearch("index", str(root), "--index", str(reference), *args)
    assert done.returncode == 0, done.stderr

    crashed = tmp_path / "crashed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}
    kill_points = sorted(random.Random(7).sample(range(10, 250), 4))
    kills = 0
    for target in kill_points:  # kill when that many images are committed, wherever the run is
        process = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(root), "--index", str(crashed), *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while process.poll() is None:
            if committed(crashed) >= target:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.005)
        process.wait()
        assert committed(crashed) < 300
    assert kills == len(kill_points)
    final = imgsearch("index", str(root), "--index", str(crashed), *args)
    assert final.returncode == 0, final.stderr

    expected, got = snapshot(reference), snapshot(crashed)
    assert {i: p for i, (p, _) in got.items()} == {i: p for i, (p, _) in expected.items()}
    for image_id, (_, vector) in expected.items():
        np.testing.assert_allclose(
            np.frombuffer(got[image_id][1], np.float32),
            np.frombuffer(vector, np.float32),
            atol=1e-5,
        )
    status = json.loads(imgsearch("status", "--index", str(crashed), "--json").stdout)
    assert status["images"] == 300 and status["vectors"] == 300
    # the vector index agrees with SQLite: every image is findable by its own vector
    one = imgsearch("search", "--like", "150", "--index", str(crashed), "--json", "--top", "1")
    assert json.loads(one.stdout)["id"] == 150


def test_annotations_imported_by_index_are_matched_and_shown(tmp_path: Path) -> None:
    collection = generate_collection(tmp_path / "shapes", 6, seed=3)
    index = tmp_path / "index"
    annotations = collection.root / ANNOTATIONS
    result = imgsearch(
        "index", str(collection.root), "--index", str(index), "--model", "fake-hash",
        "--annotations", str(annotations), "--region-padding", "0", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout)["annotations"]
    total = sum(len(i.objects) for i in collection.images)
    assert imported["format"] == "coco" and imported["regions"] == total
    assert imported["embedded"] == total and imported["problems"] == []

    image = collection.images[2]
    thing = image.objects[0]
    box = ",".join(str(v) for v in thing.box)
    found = imgsearch(
        "search",
        "--image",
        str(image.path),
        "--box",
        box,
        "--index",
        str(index),
        "--json",
        "--top",
        "1",
    )
    assert found.returncode == 0, found.stderr
    hit = json.loads(found.stdout)
    assert hit["path"] == str(image.path) and hit["region"]["label"] == thing.name
    assert hit["region"]["source"] == "annotation"
    assert [round(hit["region"]["box"][k]) for k in "xywh"] == list(thing.box)
    table = imgsearch(
        "search", "--image", str(image.path), "--box", box, "--index", str(index), "--top", "1"
    )
    assert "matched" in table.stdout and thing.name in table.stdout
    whole = imgsearch(
        "search",
        "--image",
        str(image.path),
        "--box",
        box,
        "--index",
        str(index),
        "--json",
        "--whole",
    )
    assert all(json.loads(line)["region"] is None for line in whole.stdout.splitlines())

    missing = imgsearch(
        "index",
        str(collection.root),
        "--index",
        str(index),
        "--annotations",
        str(tmp_path / "none.json"),
    )
    assert missing.returncode != 0 and "no such file" in missing.stderr


def annotated_index(tmp_path: Path, count: int, seed: int) -> tuple[Collection, Path]:
    """A generated collection indexed with the fake model and its COCO boxes imported."""
    collection = generate_collection(tmp_path / "shapes", count, seed=seed)
    index = tmp_path / "index"
    annotations = str(collection.root / ANNOTATIONS)
    done = imgsearch(
        "index", str(collection.root), "--index", str(index), "--model", "fake-hash",
        "--annotations", annotations,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return collection, index


def test_objects_labels_and_a_region_query_through_the_cli(tmp_path: Path) -> None:
    collection, index = annotated_index(tmp_path, 6, seed=4)
    total = sum(len(i.objects) for i in collection.images)
    rows = imgsearch(
        "search", "shape", "--index", str(index), "--objects", "--json", "--top", "500"
    )
    objects = [json.loads(line) for line in rows.stdout.splitlines()]
    assert len(objects) == total and len({o["region"]["id"] for o in objects}) == total
    label = collection.images[0].objects[0].name
    labelled = imgsearch(
        "search", "shape", "--index", str(index), "--label", label, "--json", "--top", "50"
    )
    found = [json.loads(line) for line in labelled.stdout.splitlines()]
    holders = {str(i.path) for i in collection.images if any(o.name == label for o in i.objects)}
    assert {f["path"] for f in found} == holders
    region = objects[3]["region"]["id"]
    like = imgsearch(
        "search",
        "--like-region",
        str(region),
        "--index",
        str(index),
        "--objects",
        "--json",
        "--top",
        "1",
    )
    assert json.loads(like.stdout)["region"]["id"] == region
    wrong = imgsearch("search", "shape", "--index", str(index), "--source", "camera")
    assert wrong.returncode != 0 and "unknown region source" in wrong.stderr


def test_label_suspects_through_the_cli(tmp_path: Path) -> None:
    _, index = annotated_index(tmp_path, 5, seed=6)
    rows = imgsearch("labels", "suspects", "--index", str(index), "--json", "--top", "4")
    assert rows.returncode == 0, rows.stderr
    suspects = [json.loads(line) for line in rows.stdout.splitlines()]
    assert 0 < len(suspects) <= 4 and all(s["given"] != s["preferred"] for s in suspects)
    table = imgsearch("labels", "suspects", "--index", str(index), "--top", "2")
    assert "labelled boxes" in table.stderr and suspects[0]["path"] in table.stdout


def stamped(index: Path) -> int:
    """Images whose grid regions are committed (0 while the database does not exist yet)."""
    try:
        with sqlite3.connect(f"file:{index / 'index.db'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM region_stamps").fetchone()[0])
    except sqlite3.Error:
        return 0


def grid_snapshot(index: Path) -> dict[str, list[tuple[float, float, float, float, bytes]]]:
    with sqlite3.connect(index / "index.db") as db:
        rows = db.execute(
            "SELECT i.path, r.x, r.y, r.w, r.h, r.vector FROM regions r "
            "JOIN images i ON i.id = r.image_id ORDER BY i.path, r.y, r.x"
        ).fetchall()
    found: dict[str, list[tuple[float, float, float, float, bytes]]] = {}
    for path, *rest in rows:
        found.setdefault(path, []).append(tuple(rest))  # type: ignore[arg-type]
    return found


@pytest.mark.slow
def test_sigkill_during_the_grid_pass_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    root = tmp_path / "photos"
    make_collection(root, 80)
    args = ["--model", "fake-hash", "--quiet", "--regions", "grid", "--grid-levels", "2,3"]
    reference = tmp_path / "reference"
    assert imgsearch("index", str(root), "--index", str(reference), *args).returncode == 0
    crashed = tmp_path / "crashed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}
    kills = 0
    for target in sorted(random.Random(11).sample(range(4, 70), 3)):
        process = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(root), "--index", str(crashed), *args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while process.poll() is None:
            if stamped(crashed) >= target:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.002)
        process.wait()
    assert kills >= 2  # the pass was cut short, more than once
    assert imgsearch("index", str(root), "--index", str(crashed), *args).returncode == 0
    expected, got = grid_snapshot(reference), grid_snapshot(crashed)
    assert got.keys() == expected.keys()
    for path, regions in expected.items():
        assert [r[:4] for r in got[path]] == [r[:4] for r in regions], path  # none lost, none twice
        for mine, theirs in zip(got[path], regions, strict=True):
            np.testing.assert_allclose(
                np.frombuffer(mine[4], np.float32), np.frombuffer(theirs[4], np.float32), atol=1e-5
            )
    # the region vector index agrees with SQLite: a stored window finds itself first
    with sqlite3.connect(crashed / "index.db") as db:
        region_id, vector = db.execute(
            "SELECT id, vector FROM regions ORDER BY id DESC LIMIT 1"
        ).fetchone()
    from imgsearch.store import SqliteStore

    store = SqliteStore(crashed)
    assert store.regions.nearest(np.frombuffer(vector, np.float32), 1)[0][0] == region_id
    store.close()


def test_searching_an_index_that_was_created_but_never_filled_says_so(tmp_path: Path) -> None:
    """A server started on a new index creates it empty; a search from the command line
    then says that nothing is indexed (exit 4), instead of failing to load a model."""
    from imgsearch import Index

    Index.open(tmp_path / "index").close()
    result = imgsearch("search", "red", "--index", str(tmp_path / "index"))
    assert result.returncode == 4, result.stderr
    assert "is empty" in result.stderr and "imgsearch index" in result.stderr


def test_control_characters_in_file_names_never_reach_the_terminal(tmp_path: Path) -> None:
    """A name that would retitle (OSC) or clear (CSI) the terminal is printed with its
    control characters escaped by index, status --errors, search and duplicates; the
    exact name still goes to programs (--json, --paths into a pipe)."""
    root, index = tmp_path / "photos", tmp_path / "index"
    root.mkdir()
    good = root / "\x1b[2J\x1b]0;pwned\x07beach.png"
    photo(64, 48, seed=1).save(good)
    (root / "\x1b[8mhidden\x9b.jpg").write_bytes(b"\xff\xd8\xff garbage")
    outputs = [
        imgsearch("index", str(root), "--index", str(index), "--model", "fake-hash"),
        imgsearch("status", "--index", str(index), "--errors"),
        imgsearch("search", "beach", "--index", str(index), "--metadata-weight", "1"),
        imgsearch("duplicates", "--index", str(index)),
    ]
    for result in outputs:
        assert result.returncode in (0, 5), result.stderr
        assert not {"\x1b", "\x07", "\x9b"} & set(result.stdout + result.stderr), result
    assert "\\x1b[2J\\x1b]0;pwned\\x07beach.png" in outputs[2].stdout.replace("\n", "")
    assert "\\x1b[8mhidden\\x9b.jpg" in outputs[1].stdout
    piped = imgsearch("search", "beach", "--index", str(index), "--paths", "--top", "1")
    assert piped.stdout == f"{good}\n"
    as_json = imgsearch("search", "beach", "--index", str(index), "--json", "--top", "1")
    assert json.loads(as_json.stdout)["path"] == str(good)


def test_annotate_adds_replaces_and_clears_only_when_asked(tmp_path: Path) -> None:
    root, index = tmp_path / "photos", tmp_path / "index"
    make_collection(root, 4)
    assert imgsearch("index", str(root), "--index", str(index), "-m", "fake-hash").returncode == 0
    target = str(next(root.rglob("*.jpg")))

    def annotate(*args: str) -> str:
        done = imgsearch("annotate", target, "--index", str(index), *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "caption='at dusk' tags=['trip']" in annotate("--caption", "at dusk", "--tag", "trip")
    # tags join the image's; the caption stays unless a new one is given
    assert "caption='at dusk' tags=['trip', 'sea']" in annotate("--tag", "sea", "--tag", "trip")
    assert "caption='lighthouse' tags=['trip', 'sea']" in annotate("--caption", "lighthouse")
    assert "caption='lighthouse' tags=['lamp']" in annotate("--tag", "lamp", "--replace")
    # nothing given is a mistake, not a silent wipe; --clear says it
    nothing = imgsearch("annotate", target, "--index", str(index))
    assert nothing.returncode == 2 and "nothing to add" in nothing.stderr
    mixed = imgsearch("annotate", target, "--index", str(index), "--clear", "--tag", "y")
    assert mixed.returncode == 2 and "--clear" in mixed.stderr
    assert "caption=None tags=[]" in annotate("--clear")


def test_version_prints_the_installed_version() -> None:
    import importlib.metadata

    done = imgsearch("--version")
    assert (
        done.returncode == 0
        and done.stdout == f"imgsearch {importlib.metadata.version('imgsearch')}\n"
    )


def test_the_ocr_help_names_the_extra_to_install() -> None:
    """Rich markup read "[ocr]" as a tag and printed "needs imgsearch"."""
    shown = imgsearch("index", "--help", env={"COLUMNS": "250"})
    assert shown.returncode == 0 and "pip install 'imgsearch[ocr]'" in shown.stdout


def test_the_model_help_says_which_model_a_command_uses() -> None:
    wide = {"COLUMNS": "250"}
    search = imgsearch("search", "--help", env=wide).stdout
    assert "Default: the model the index was built with" in search
    vectorize = imgsearch("vectorize", "--help", env=wide).stdout  # no index: the default
    assert "Default: $IMGSEARCH_MODEL or clip-vit-b-32." in vectorize


def test_a_file_not_in_the_index_is_told_why(tmp_path: Path) -> None:
    root, index = tmp_path / "photos", tmp_path / "index"
    make_collection(root, 3)
    folder = next(root.rglob("*.jpg")).parent
    (folder / "notes.txt").write_text("not a picture")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    assert imgsearch("index", str(root), "--index", str(index), "-m", "fake-hash").returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    photo(32, 24).save(elsewhere / "new.jpg")

    def said(path: Path) -> str:
        done = imgsearch("search", "--like", str(path), "--index", str(index))
        assert done.returncode == 2, done.stderr
        return done.stderr

    assert "though its folder is" in said(folder / "notes.txt")
    assert "broken.jpg could not be indexed: not a recognised image" in said(folder / "broken.jpg")
    assert "index its folder first" in said(elsewhere / "new.jpg")
    assert "no such file" in said(folder / "gone.jpg")
