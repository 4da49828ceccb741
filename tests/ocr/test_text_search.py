"""Finding pictures by the words printed in them, end to end with the real RapidOCR models:
indexed with ``imgsearch index --ocr`` (generated pictures: DejaVu fonts on plain, noisy,
gradient and photo backgrounds, rotated, small and large, several lines), then searched
through the CLI and the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imgsearch.server import ServerSettings, create_app
from imgsearch.store.words import fold_text
from tests.cli.test_cli import imgsearch
from tests.conftest import photo
from tests.scaffold.words import WordPicture, generate_word_pictures

pytestmark = pytest.mark.slow  # real OCR: about a third of a second a picture
SEED = 1  # ten pictures: every background, 3 rotated, 4 with small text, 8 of several lines


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[WordPicture]]:
    pytest.importorskip("rapidocr_onnxruntime")
    folder = tmp_path_factory.mktemp("words")
    root = folder / "collection"
    pictures = generate_word_pictures(root, 10, seed=SEED)
    assert {p.background for p in pictures} == {"plain", "noisy", "gradient", "photo"}
    assert {p.size for p in pictures} == {"small", "large"}
    assert any(p.rotated for p in pictures) and any(len(p.lines) > 1 for p in pictures)
    for n in range(2):  # pictures without text
        photo(640, 480, seed=40 + n).save(root / "images" / f"photo-{n}.jpg")
    index = folder / "index"
    done = imgsearch(
        "index", str(root), "--index", str(index), "-m", "fake-hash", "--ocr", "--json"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["counts"]["added"] == 12
    assert summary["text"]["read"] == 12 and summary["text"]["warnings"] == 0
    assert summary["text"]["with_text"] >= 10
    return root, index, pictures


def search(index: Path, *args: str) -> list[dict[str, Any]]:
    result = imgsearch("search", *args, "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ocr_is_remembered_and_reads_only_what_is_new(indexed: Any) -> None:
    root, index, _ = indexed
    status = imgsearch("status", "--index", str(index), "--json")
    text = json.loads(status.stdout)["text"]
    assert text["ocr"] is True and text["read"] == 12
    again = imgsearch("index", str(root), "--index", str(index), "--json")
    assert json.loads(again.stdout)["counts"]["unchanged"] == 12
    assert "text" not in json.loads(again.stdout)  # nothing was read


def test_each_picture_is_the_first_hit_for_a_word_printed_in_it(indexed: Any) -> None:
    root, index, pictures = indexed
    for picture in pictures:
        path = str((root / picture.file).resolve())
        found = None
        for word in sorted(picture.words, key=len, reverse=True):
            hits = search(index, word, "-n", "1")  # a plain search: the words win
            if hits and hits[0]["path"] == path:
                found = hits[0]
                break
        assert found is not None, f"{picture.file} ({picture.lines}) found by none of its words"
        assert "text" in found["words_in"]
        assert found["text"] is not None and fold_text(word) in fold_text(found["text"]["text"])
        box = found["text"]["box"]
        assert 0 <= box["x"] < box["x"] + box["w"] <= found["width"]
        assert 0 <= box["y"] < box["y"] + box["h"] <= found["height"]


def test_contains_text_finds_each_picture_with_other_query_parts(indexed: Any) -> None:
    root, index, pictures = indexed
    example = str(root / "images" / "photo-0.jpg")
    for picture in pictures:
        path = str((root / picture.file).resolve())
        word = max(picture.words, key=len)
        for query in (
            ["--image", example, "--contains-text", word.lower()],
            ["a sign", "--contains-text", word.upper(), "--under", str(root / "images")],
            ["--like", path, "--contains-text", word, "--min-width", "100"],
        ):
            hits = search(index, *query)
            assert [hit["path"] for hit in hits] == [path], (picture.lines, query)
            assert fold_text(word) in fold_text(hits[0]["text"]["text"])


def test_words_absent_from_every_picture_find_nothing(indexed: Any) -> None:
    _, index, _ = indexed
    assert search(index, "a sign", "--contains-text", "xqzvy") == []
    table = imgsearch("search", "a sign", "--contains-text", "xqzvy", "--index", str(index))
    assert table.stdout.strip() == "no matching images"
    hits = search(index, "xqzvy", "--metadata-weight", "1")
    assert hits and all(h["metadata_score"] == 0 and h["text"] is None for h in hits)


@pytest.fixture
def client(indexed: Any) -> Iterator[TestClient]:
    root, index, _ = indexed
    settings = ServerSettings(index=index, roots=[root])
    with TestClient(create_app(settings), base_url="http://localhost") as opened:
        yield opened


def test_the_http_api_filters_by_read_text_and_shows_the_lines(
    client: TestClient, indexed: Any
) -> None:
    root, _, pictures = indexed
    picture = pictures[1]
    word = max(picture.words, key=len)
    answer = client.post("/v1/search", json={"text": word, "filters": {"contains_text": [word]}})
    assert answer.status_code == 200, answer.text
    hits = answer.json()["hits"]
    assert [hit["path"] for hit in hits] == [str((root / picture.file).resolve())]
    assert fold_text(word) in fold_text(hits[0]["text"]["text"])
    assert set(hits[0]["text"]["box"]) == {"x", "y", "w", "h"}
    image = client.get(f"/v1/images/{hits[0]['id']}").json()
    read = " ".join(line["text"] for line in image["text"])
    assert fold_text(word) in fold_text(read) and len(image["text"]) >= len(picture.lines) - 1
    empty = client.post("/v1/search", json={"text": "x", "filters": {"contains_text": [""]}})
    assert empty.status_code == 422 and empty.json()["error"]["code"]
