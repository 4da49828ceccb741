"""``--part I/N``: N indexers fill one index in parallel, each file indexed by exactly one,
decided by its path relative to its folder; a part never touches another part's rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgsearch import Index
from imgsearch.errors import InputError
from imgsearch.indexer.parts import Part
from tests.cli.test_cli import imgsearch
from tests.test_indexer import make_photos


def test_every_path_belongs_to_exactly_one_part_wherever_the_share_is_mounted() -> None:
    relative = [f"2024/trip/img_{n:04}.jpg" for n in range(400)]
    parts = [Part(i, 3) for i in range(3)]
    owners = [[p.index for p in parts if p.owns(r)] for r in relative]
    assert all(len(o) == 1 for o in owners)
    shares = [sum(o == [i] for o in owners) for i in range(3)]
    assert min(shares) > 100  # an even split, roughly
    here = Part(1, 3).selector(["/mnt/share"])
    there = Part(1, 3).selector(["/data/photos/share/"])
    assert [here(f"/mnt/share/{r}") for r in relative] == [
        there(f"/data/photos/share/{r}") for r in relative
    ]
    nested = Part(0, 2).selector(["/a", "/a/b"])  # the deepest folder holding the path
    assert nested("/a/b/x.jpg") == Part(0, 2).owns("x.jpg")


@pytest.mark.parametrize("text", ["2/2", "-1/2", "1", "a/b", "0/0", "1/10001"])
def test_a_part_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(InputError):
        Part.parse(text)


def run_part(index: str, root: Path, part: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}
    extra = ["--part", part] if part else []
    return subprocess.Popen(
        [sys.executable, "-m", "imgsearch.cli.main", "index", str(root), "--index", index,
         "--model", "fake-hash", "--batch-size", "4", "--quiet", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def by_path(location: str) -> dict[str, np.ndarray]:
    with Index.open(location, create=False) as index:
        rows = index.store.files_under(["/"])
        vectors = index.store.vectors([r.id for r in rows])
    return {r.path: v for r, v in zip(rows, vectors, strict=True)}


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", "postgres", "citus"])
def test_two_parts_in_parallel_equal_one_indexer(
    tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    root = tmp_path / "photos"
    make_photos(root / "a", 40)
    make_photos(root / "b" / "c", 30, start=40)
    if store == "sqlite":
        single, shared = str(tmp_path / "single"), str(tmp_path / "shared")
    else:
        if store == "postgres":
            url = request.getfixturevalue("postgres_url")
        else:  # a Citus coordinator, the tables distributed over two workers
            url = request.getfixturevalue("citus_cluster").url
        mark = "&" if "?" in url else "?"
        single, shared = f"{url}{mark}collection=single", f"{url}{mark}collection=parts"
    assert run_part(single, root, None).wait() == 0
    first, second = run_part(shared, root, "0/2"), run_part(shared, root, "1/2")
    assert first.wait() == 0, first.stderr.read() if first.stderr else ""
    assert second.wait() == 0, second.stderr.read() if second.stderr else ""
    expected, got = by_path(single), by_path(shared)
    assert sorted(got) == sorted(expected) and len(got) == 70
    for path, vector in expected.items():
        np.testing.assert_allclose(got[path], vector, atol=1e-6)

    # a part sees only its own files: the other part's rows are not "vanished"
    again = imgsearch("index", str(root), "--index", shared, "-m", "fake-hash", "--part",
                      "0/2", "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    mine = [p for p in expected if Part(0, 2).selector([str(root.resolve())])(p)]
    assert summary["counts"]["unchanged"] == len(mine) and summary["counts"]["removed"] == 0
    theirs = next(p for p in expected if p not in mine)
    Path(theirs).unlink()
    ours = imgsearch("index", str(root), "--index", shared, "-m", "fake-hash", "--part", "0/2")
    assert ours.returncode == 0 and theirs in by_path(shared)  # not part 0's to remove
    gone = imgsearch("index", str(root), "--index", shared, "-m", "fake-hash", "--part", "1/2")
    assert gone.returncode == 0 and theirs not in by_path(shared)
