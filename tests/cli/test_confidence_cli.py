"""``imgsearch search --min-confidence``: every hit's confidence, and the cut-off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgsearch.demo.collection import Collection, generate_collection
from tests.cli.test_cli import imgsearch


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, Path]:
    folder = tmp_path_factory.mktemp("confidence-cli")
    collection = generate_collection(folder / "shapes", 80, seed=31)
    index = folder / "index"
    result = imgsearch("index", str(collection.root), "--index", str(index), "-m", "demo-shapes")
    assert result.returncode == 0, result.stderr
    return collection, index


def _hits(index: Path, *args: str) -> list[dict[str, object]]:
    result = imgsearch("search", "--index", str(index), "--json", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_hit_has_a_confidence_and_the_cut_keeps_a_prefix(
    indexed: tuple[Collection, Path],
) -> None:
    _, index = indexed
    uncut = _hits(index, "yellow star", "--top", "80")
    confidences = [float(h["confidence"]) for h in uncut]  # type: ignore[arg-type]
    assert len(uncut) == 80 and all(0 <= c <= 1 for c in confidences)
    assert max(confidences) > 0.5 > min(confidences)
    cut = _hits(index, "yellow star", "--top", "80", "--min-confidence", "auto")
    assert cut == [h for h in uncut if float(h["confidence"]) >= 0.5]  # type: ignore[arg-type]
    strict = _hits(index, "yellow star", "--top", "80", "--min-confidence", "0.9")
    assert strict == [h for h in uncut if float(h["confidence"]) >= 0.9]  # type: ignore[arg-type]


def test_a_cut_nothing_passes_says_so_and_bad_values_are_refused(
    indexed: tuple[Collection, Path],
) -> None:
    _, index = indexed
    nothing = imgsearch("search", "--index", str(index), "red circle", "--min-confidence", "1")
    assert nothing.returncode == 0 and "no matching images" in nothing.stdout
    table = imgsearch("search", "--index", str(index), "red circle", "--top", "3")
    assert "confidence" in table.stdout.splitlines()[0]
    for bad in ("1.5", "high", "-1"):
        refused = imgsearch("search", "--index", str(index), "x", "--min-confidence", bad)
        assert refused.returncode != 0 and "--min-confidence" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_words_demo_shapes_never_saw_are_named_and_an_unread_query_finds_only_by_words(
    indexed: tuple[Collection, Path],
) -> None:
    collection, index = indexed
    forest = imgsearch("search", "--index", str(index), "--json", "a photo of a forest")
    assert forest.returncode == 0, forest.stderr
    hits = [json.loads(line) for line in forest.stdout.splitlines()]
    assert len(hits) == 10 and {h["confidence"] for h in hits} == {0.0}
    assert "demo-shapes cannot read this query" in forest.stderr and "forest" in forest.stderr
    known = forest.stderr.split("The words it knows: ")[1].split(", ")
    assert {"red", "hexagon", "striped", "large"} <= {w.strip() for w in known}
    assert "photo" not in {w.strip() for w in known}  # filler is not offered
    cut = imgsearch("search", "--index", str(index), "forest", "--min-confidence", "auto")
    assert cut.returncode == 0 and "no matching images" in cut.stdout
    # a file-name word is not a word of the model's, but the file is still found by it
    named = collection.images[7].path
    number = named.stem.split("-")[-1]
    by_name = _hits(index, number, "--min-confidence", "auto")
    assert [h["path"] for h in by_name] == [str(named)]
    # a query the model reads, with one word it never saw: named, and still judged
    plural = imgsearch("search", "--index", str(index), "--json", "yellow stars", "--top", "80")
    confidences = [json.loads(line)["confidence"] for line in plural.stdout.splitlines()]
    assert max(confidences) > 0.5 and "never saw the words stars" in plural.stderr
    quiet = imgsearch("search", "--index", str(index), "--json", "yellow star")
    assert "never saw" not in quiet.stderr


def test_a_collection_too_small_to_judge_says_so_in_the_table_and_on_stderr(
    indexed: tuple[Collection, Path], tmp_path: Path
) -> None:
    collection, _ = indexed
    few = tmp_path / "few"
    few.mkdir()
    for image in collection.images[:12]:
        shutil.copy(image.path, few / image.path.name)
    index = tmp_path / "index"
    assert imgsearch("index", str(few), "--index", str(index), "-m", "demo-shapes").returncode == 0
    said = "too few images to judge confidence (12 < 32); no cut applied"
    table = imgsearch("search", "--index", str(index), "red circle", "--min-confidence", "0.99")
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines()[1:] if line.strip()[:1].isdigit()]
    assert len(rows) == 10 and all(" – " in row for row in rows)  # nothing cut, nothing judged
    assert f"confidence –: {said}" in table.stdout  # the table's footnote explains the dash
    listed = imgsearch(
        "search", "--index", str(index), "red circle", "--json", "--top", "3",
        "--min-confidence", "auto",
    )  # fmt: skip
    assert listed.returncode == 0 and f"note: {said}" in listed.stderr
    assert [json.loads(line)["confidence"] for line in listed.stdout.splitlines()] == [None] * 3
    # a collection large enough says nothing of the kind, in the table or beside it
    judged = imgsearch("search", "--index", str(indexed[1]), "red circle", "--top", "3")
    assert "too few" not in judged.stdout + judged.stderr and "–" not in judged.stdout
