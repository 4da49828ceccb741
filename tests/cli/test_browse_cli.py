"""``imgsearch browse`` end to end: the collection without a query, newest first, paged,
narrowed by the search's filters (a tag too), counted by folder, month and tag."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.test_cli import imgsearch
from tests.conftest import photo

DAY = 86_400


def collection(root: Path) -> dict[str, Path]:
    """Four photos in two folders (one nested), each a different day old."""
    paths = {
        "old": root / "2019" / "old.png",
        "mid": root / "2023" / "mid.png",
        "new": root / "2023" / "trip" / "new.png",
        "loose": root / "loose.png",
    }
    for n, (name, path) in enumerate(paths.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        photo(64, 48, seed=n).save(path)
        moment = 1_700_000_000 - {"old": 1500, "mid": 200, "new": 1, "loose": 900}[name] * DAY
        os.utime(path, (moment, moment))
    return paths


def test_browse_lists_pages_filters_and_counts(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    paths = collection(root)
    index = str(tmp_path / "index")
    assert imgsearch("index", str(root), "--index", index, "-m", "fake-hash").returncode == 0
    tagged = imgsearch("annotate", str(paths["mid"]), "--tag", "family", "--index", index)
    assert tagged.returncode == 0, tagged.stderr

    newest = imgsearch("browse", "--index", index, "--paths")
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.splitlines() == [str(paths[n]) for n in ("new", "mid", "loose", "old")]

    table = imgsearch("browse", "--index", index, "-n", "2", "--offset", "1", "--order", "oldest")
    assert table.returncode == 0, table.stderr
    assert (
        "loose.png" in table.stdout and "mid.png" in table.stdout and "old.png" not in table.stdout
    )
    assert "2–3 of 4, oldest first; --offset 3 for the next" in table.stdout

    family = imgsearch("browse", "--index", index, "--tag", "family", "--json")
    items = [json.loads(line) for line in family.stdout.splitlines()]
    assert [item["path"] for item in items] == [str(paths["mid"])]
    assert items[0]["tags"] == ["family"] and items[0]["media"] == "image"

    counted = imgsearch("browse", "--index", index, "--facets", "--json")
    facets = json.loads(counted.stdout)
    assert facets["total"] == 4 and facets["base"] == str(root) and facets["here"] == 1
    assert facets["folders"] == [
        {"folder": str(root / "2019"), "count": 1},
        {"folder": str(root / "2023"), "count": 2},
    ]
    assert facets["tags"] == [{"tag": "family", "count": 1}]
    shown = imgsearch("browse", "--index", index, "--facets", "--under", str(root / "2023"))
    assert shown.returncode == 0 and "2 items" in shown.stdout and "trip" in shown.stdout

    wrong = imgsearch("browse", "--index", index, "--order", "random")
    assert wrong.returncode == 2 and "unknown order 'random'" in wrong.stderr
