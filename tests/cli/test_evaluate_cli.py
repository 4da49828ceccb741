"""``imgsearch evaluate``: the demo's labelled queries end to end, a refit calibration
stored with the index, and a query file with bad lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgsearch.demo.collection import generate_collection
from imgsearch.demo.queries import write_query_files
from tests.cli.test_cli import imgsearch


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("evaluate-cli")
    collection = generate_collection(folder / "shapes", 150, seed=41, leave_out=["red star"])
    write_query_files(collection, images=6, regions=10)
    index = folder / "index"
    result = imgsearch(
        "index", str(collection.root), "--index", str(index), "-m", "demo-shapes",
        "--annotations", str(collection.root / "annotations.json"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return collection.root, index


def test_the_demo_queries_are_measured_and_the_diagram_written(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    root, index = demo
    lines = [json.loads(line) for line in (root / "queries.jsonl").read_text().splitlines()]
    fit = [json.loads(line) for line in (root / "queries-fit.jsonl").read_text().splitlines()]
    assert {q["id"] for q in lines if q["id"].startswith("text")} == {
        q["id"] for q in fit if q["id"].startswith("text")
    }
    assert {q.get("image") for q in lines} & {q.get("image") for q in fit} == {None}
    assert next(q for q in lines if q["id"] == "text: red star")["relevant"] == []
    diagram = tmp_path / "reliability.svg"
    result = imgsearch(
        "evaluate", str(root / "queries.jsonl"), "--index", str(index), "--json",
        "--diagram", str(diagram),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["by_kind"]) == {"text", "image", "region"}
    text = report["by_kind"]["text"]
    assert text["queries"] + text["no_match"] == 36 + 12 and text["no_match"] >= 1
    assert report["by_kind"]["image"]["queries"] == 6
    assert report["by_kind"]["region"]["queries"] == 10
    overall = report["overall"]
    # the demo model finds its shapes; confidence ranks pairs across queries better
    assert overall["map"] > 0.6 and overall["mrr"] > 0.8
    assert overall["auc_confidence"] > overall["auc_cosine"]
    assert sum(b["count"] for b in report["reliability"]) > 0
    assert diagram.read_text().startswith("<svg") and "ECE" in diagram.read_text()
    per_query = report["queries"]
    assert len(per_query) == len(lines) and [q["line"] for q in per_query] == list(
        range(1, len(lines) + 1)
    )
    absent = next(q for q in per_query if q["name"] == "text: red star")
    assert absent["relevant"] == 0 and absent["average_precision"] is None
    assert all(0 <= q["average_precision"] <= 1 for q in per_query if q["relevant"])
    table = imgsearch(
        "evaluate", str(root / "queries.jsonl"), "--index", str(index), "--worst", "3"
    )
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "region" in table.stdout
    # what the columns measure, with this file's right answers per query (R@1's ceiling)
    counts = sorted(q["relevant"] for q in per_query if q["relevant"])
    median = counts[len(counts) // 2]
    assert f"a median of {median} right answers each: R@1 is at most {1 / median:.3f}" in (
        " ".join(table.stdout.split())
    )
    worst = table.stdout.split("the 3 worst queries")[1].strip().splitlines()
    assert len(worst) == 4  # a heading and three queries


def test_a_fitted_calibration_is_stored_and_used(demo: tuple[Path, Path], tmp_path: Path) -> None:
    root, index = demo
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    fitted = imgsearch(
        "evaluate", str(root / "queries-fit.jsonl"), "--index", str(copy), "--fit-calibration"
    )
    assert fitted.returncode == 0, fitted.stderr
    assert "fitted and stored with the index" in fitted.stdout
    status = json.loads(imgsearch("status", "--index", str(copy), "--json").stdout)
    assert "queries-fit.jsonl" in status["calibration"]["fitted_on"]
    # its text queries have leads over their rivals, present and absent: the presence too
    assert status["calibration"]["presence"]["lead"] > 0
    assert "·lead" in imgsearch("status", "--index", str(copy)).stdout
    measured = imgsearch("evaluate", str(root / "queries.jsonl"), "--index", str(copy), "--json")
    report = json.loads(measured.stdout)
    assert report["calibration"] == status["calibration"]
    assert report["overall"]["ece"] < 0.1


def test_bad_lines_are_listed_by_number_and_the_rest_still_measured(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    _, index = demo
    file = tmp_path / "mine.jsonl"
    file.write_text(
        json.dumps(
            {"id": "[red]hot[/red]", "text": "red circle", "relevant": {"label": "red circle"}}
        )
        + "\n"
        '{"text": "blue", "relevant": [}\n'
        + json.dumps({"image": "nowhere.png", "relevant": []})
        + "\n"
        + json.dumps({"text": "green square", "relevant": ["not/indexed/*.png"]})
        + "\n"
    )
    result = imgsearch("evaluate", str(file), "--index", str(index), "--json")
    assert result.returncode == 2, result.stderr
    assert "line 2: not JSON" in result.stderr
    assert "line 3: image not found: nowhere.png" in result.stderr
    assert "line 4: none of its relevant images is in the index" in result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["overall"]["queries"] == 1 and report["overall"]["map"] > 0.5
    shown = imgsearch("evaluate", str(file), "--index", str(index), "--worst", "5")
    assert "[red]hot[/red]" in shown.stdout  # a query's id is text, not markup
    nothing = tmp_path / "nothing.jsonl"
    nothing.write_text("{}\n")
    refused = imgsearch("evaluate", str(nothing), "--index", str(index))
    assert refused.returncode == 2 and "no usable query" in refused.stderr
    svg = imgsearch("evaluate", str(file), "--index", str(index), "--diagram", "x.png")
    assert svg.returncode == 2 and ".svg" in svg.stderr


def test_models_are_compared_on_the_same_collection_and_queries(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    root, index = demo
    file = tmp_path / "labelled.jsonl"
    file.write_text(
        json.dumps({"text": "red circle", "relevant": {"label": "red circle"}}) + "\n"
        + json.dumps({"text": "blue square", "relevant": {"label": "blue square"},
                      "sources": ["annotation"]}) + "\n"
    )  # fmt: skip
    work = tmp_path / "work"
    result = imgsearch(
        "evaluate", str(file), "--index", str(index), "--model", "demo-shapes",
        "--model", "fake-hash", "--work", str(work), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)["models"]
    assert [m["model"] for m in models] == ["demo-shapes", "fake-hash"]
    assert [m["overall"]["queries"] for m in models] == [2, 2]
    # the labels (and annotation regions) came along into each model's own index
    demo_map, fake_map = (m["overall"]["map"] for m in models)
    assert demo_map > 0.8 and fake_map < demo_map
    assert {p.name for p in work.iterdir()} >= {"demo-shapes", "fake-hash"}
    status = json.loads(imgsearch("status", "--index", str(work / "fake-hash"), "--json").stdout)
    assert status["model"] == "fake-hash" and status["images"] == 150 and status["regions"] > 150
    table = imgsearch(
        "evaluate", str(file), "--folder", str(root), "--model", "demo-shapes",
        "--model", "fake-hash", "--work", str(work),
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "models compared" in table.stdout and "nDCG@10" in table.stdout
    assert "fake-hash: confidence calibration" in table.stdout
