"""Labelled query files: every kind of line, and bad lines named by their numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from imgsearch.evaluation.queries import QueryFileError, read_queries
from imgsearch.types import Box


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        "utf-8",
    )
    return path


def test_every_kind_of_query_is_read_with_paths_from_the_files_folder(tmp_path: Path) -> None:
    Image.new("RGB", (64, 48)).save(tmp_path / "bus.png")
    file = _write(
        tmp_path / "q.jsonl",
        [
            {
                "id": "cats",
                "text": "a cat",
                "relevant": ["cats/*.jpg", "./x/../sofa.png", "../up.png"],
            },
            {"image": "bus.png", "box": [4, 4, 20, 10], "relevant": {"label": "bus"}},
            {"image": "bus.png", "relevant": {"label": ["bus", "coach"]}, "sources": ["grid"]},
            {"query": "2:red car + bus.png - night", "relevant": []},
            {"parts": [{"text": "dog", "weight": 2}, {"image": "bus.png"}], "relevant": []},
            "",
        ],
    )
    read = read_queries(file)
    assert read.problems == ()
    text, region, image, mix, parts = read.queries
    assert (text.name, text.kind, text.line) == ("cats", "text", 1)
    assert text.relevant.paths == (  # named as the index names them: no "." or ".."
        f"{tmp_path}/cats/*.jpg",
        f"{tmp_path}/sofa.png",
        f"{tmp_path.parent}/up.png",
    )
    assert region.kind == "region" and region.parts[0].box == Box(4, 4, 20, 10)
    assert region.own_images == (str(tmp_path / "bus.png"),) and region.name == "line 2"
    assert image.kind == "image" and image.relevant.labels == ("bus", "coach")
    assert image.sources == ("grid",)
    assert mix.kind == "mix" and mix.relevant.nothing
    assert [p.weight for p in mix.parts] == [2.0, 1.0, -1.0]
    assert mix.parts[1].image == str(tmp_path / "bus.png")
    assert [p.weight for p in parts.parts] == [2.0, 1.0] and parts.kind == "mix"


def test_bad_lines_are_named_by_number_and_the_rest_still_count(tmp_path: Path) -> None:
    Image.new("RGB", (32, 32)).save(tmp_path / "a.png")
    file = _write(
        tmp_path / "q.jsonl",
        [
            {"text": "fine", "relevant": ["x.png"]},
            '{"text": "broken", ',
            '["a", "list"]',
            {"text": "typo", "relevent": []},
            {"text": "two", "image": "a.png", "relevant": []},
            {"text": "no relevance"},
            {"image": "missing.png", "relevant": []},
            {"image": "a.png", "box": [1, 2, 3], "relevant": []},
            {"image": "a.png", "box": [1, 2, -3, 4], "relevant": []},
            {"text": "x", "relevant": [], "sources": ["nope"]},
            {"text": "x", "relevant": {"label": []}},
            {"text": "  ", "relevant": []},
            {"text": "fine too", "relevant": {"label": "cat"}},
        ],
    )
    (tmp_path / "bin.jsonl").write_bytes(b'{"text": "\xff\xfe", "relevant": []}\n')
    read = read_queries(file)
    assert [q.line for q in read.queries] == [1, 13]
    problems = {p.line: p.message for p in read.problems}
    assert sorted(problems) == list(range(2, 13))
    assert problems[2].startswith("not JSON")
    assert "JSON object" in problems[3]
    assert "unknown key 'relevent'" in problems[4]
    assert "exactly one of" in problems[5]
    assert "relevant" in problems[6]
    assert "image not found: missing.png" in problems[7]
    assert "box" in problems[8] and "box" in problems[9].lower()
    assert "sources" in problems[10] and "label" in problems[11]
    assert str(read.problems[0]).startswith("line 2: ")
    with pytest.raises(QueryFileError, match="line 1: not UTF-8"):
        read_queries(tmp_path / "bin.jsonl")


def test_a_line_nested_past_the_parser_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    file = tmp_path / "q.jsonl"
    file.write_text('{"text": "fine", "relevant": ["x.png"]}\n' + "[" * 100_000 + "\n")
    read = read_queries(file)
    assert len(read.queries) == 1 and [p.line for p in read.problems] == [2]
    assert "nested too deeply" in read.problems[0].message


def test_a_file_that_cannot_be_used_at_all_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="cannot read the query file"):
        read_queries(tmp_path / "absent.jsonl")
    with pytest.raises(QueryFileError, match="the file is empty"):
        read_queries(_write(tmp_path / "empty.jsonl", ["", "  "]))
    with pytest.raises(QueryFileError, match="line 1: not JSON"):
        read_queries(_write(tmp_path / "bad.jsonl", ["text: cat"]))
