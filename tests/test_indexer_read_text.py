"""Reading text while indexing (OCR), with a stand-in reader: text is read once per bytes,
in the decode pass or afterwards for what that pass did not decode; a run that turns OCR on
reads only what lacks text; an interrupted reading resumes; a reading that fails is a
warning and costs the image nothing. (Real RapidOCR end to end: tests/ocr.)"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from numpy.typing import NDArray

from imgsearch import Index
from imgsearch.errors import InvalidSettings
from imgsearch.indexer import read_text as indexer_text
from imgsearch.ocr.policy import TextPolicy
from imgsearch.ocr.reader import OcrFailed
from imgsearch.query.expression import Query, QueryPart
from imgsearch.store import Filters
from imgsearch.types import Box, TextLine
from tests.cli.test_cli import imgsearch
from tests.conftest import photo

BROKEN_WIDTH = 113
"""A picture this wide makes the stand-in reader fail."""


class StandInReader:
    """Reads "Label <width>" in pictures of odd width, nothing in even ones; remembers what
    it was asked to read (by the picture's own width)."""

    calls: ClassVar[Counter[int]] = Counter()
    shapes: ClassVar[dict[int, tuple[int, ...]]] = {}

    def __init__(self, *, max_side: int, min_confidence: float, look_side: int) -> None:
        self.max_side = max_side
        self.look_side = look_side

    def looks_like_text(self, rgb: NDArray[np.uint8]) -> bool:
        return True  # the real first look is tested with the real reader (tests/ocr)

    def read(
        self, rgb: NDArray[np.uint8], size: tuple[int, int] | None = None, *, look: bool = True
    ) -> list[TextLine]:
        width, height = size or (rgb.shape[1], rgb.shape[0])
        assert max(rgb.shape[:2]) <= self.max_side  # a bounded copy, whatever the original
        StandInReader.calls[width] += 1
        StandInReader.shapes[width] = rgb.shape
        if width == BROKEN_WIDTH:
            raise OcrFailed("the recogniser crashed")
        if width % 2 == 0:
            return []
        return [TextLine(f"Label {width}", Box(2.0, 3.0, width / 2, height / 4), 0.9)]


@pytest.fixture(autouse=True)
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    StandInReader.calls = Counter()
    StandInReader.shapes = {}
    monkeypatch.setattr(indexer_text, "TextReader", StandInReader)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    opened = Index.open(tmp_path / "index", model="fake-hash")
    yield opened
    opened.close()


def pictures(folder: Path, widths: list[int], height: int = 90) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for width in widths:
        path = folder / f"w{width}.{'jpg' if width % 3 else 'png'}"
        photo(width, height, seed=width).save(path)
        made[width] = path
    return made


def texts(index: Index) -> dict[str, list[str]]:
    records = {r.id: r for r in index.store.get(range(1, 1000))}
    lines = index.store.texts.lines(list(records))
    return {Path(records[i].path).name: [line.text for line in found] for i, found in lines.items()}


def test_text_is_read_in_the_decode_pass_and_found_by_search(index: Index, tmp_path: Path) -> None:
    made = pictures(tmp_path / "p", [101, 102, 103, 2500])
    report = index.update([tmp_path / "p"], read_text=True)
    assert report.text.read == 4 and report.text.with_text == 2 and report.text.warnings == 0
    assert dict(StandInReader.calls) == {101: 1, 102: 1, 103: 1, 2500: 1}  # once each
    assert texts(index) == {
        "w101.jpg": ["Label 101"], "w102.png": [], "w103.jpg": ["Label 103"], "w2500.jpg": [],
    }  # fmt: skip
    hits = index.search("label 103", metadata_weight=1.0, top=1)
    assert hits[0].image.path == str(made[103]) and hits[0].text is not None
    assert hits[0].text.text == "Label 103" and hits[0].text.box == Box(2.0, 3.0, 51.5, 22.5)
    only = index.search("anything", filters=Filters(contains_text=("LABEL 10",)))
    assert {hit.image.path for hit in only} == {str(made[101]), str(made[103])}
    assert all(hit.text is not None for hit in only)
    again = index.update([tmp_path / "p"])  # remembered: on, and nothing left to read
    assert again.text.read == 0 and sum(StandInReader.calls.values()) == 4


def test_a_confidence_cut_off_keeps_the_pictures_the_text_filter_asked_for(
    index: Index, tmp_path: Path
) -> None:
    made = pictures(tmp_path / "p", list(range(115, 195, 2)))  # 40: enough for confidences
    index.update([tmp_path / "p"], read_text=True)
    strict = Query((QueryPart(text="anything"),), min_confidence=0.99)
    assert index.search(strict) == []  # no picture is a likely match for the words
    kept = index.search(replace(strict, filters=Filters(contains_text=("label 12",))))
    assert {hit.image.path for hit in kept} == {str(made[w]) for w in range(121, 131, 2)}
    assert all(hit.confidence is not None for hit in kept)


def test_turning_ocr_on_reads_only_what_lacks_text_and_changed_bytes_are_read_again(
    index: Index, tmp_path: Path
) -> None:
    made = pictures(tmp_path / "p", [101, 103, 105])
    index.update([tmp_path / "p"])
    assert index.store.documents.get("text_policy") == {} and not StandInReader.calls
    on = index.update([tmp_path / "p"], read_text=True)  # nothing changed on disk
    assert on.text.read == 3 and on.counts["unchanged"] == 3
    assert index.store.documents.get("text_policy")["read"] is True
    photo(105, 90, seed=7).save(made[105])  # new bytes, same width
    shutil.copy(made[101], tmp_path / "p" / "copy.jpg")  # a duplicate: not decoded
    later = index.update([tmp_path / "p"])
    assert later.counts["updated"] == 1 and later.counts["duplicate"] == 1
    assert later.text.read == 2  # the changed picture in the pass, the copy afterwards
    assert texts(index)["copy.jpg"] == ["Label 101"]
    assert StandInReader.calls == Counter({101: 2, 103: 1, 105: 2})
    off = index.update([tmp_path / "p"], read_text=False)
    photo(103, 90, seed=8).save(made[103])
    assert index.update([tmp_path / "p"]).text.read == 0 and off.text.read == 0
    assert "w103.jpg" not in texts(index)  # its text was of the old bytes


def test_a_failed_reading_is_a_warning_and_the_picture_is_indexed(
    index: Index, tmp_path: Path
) -> None:
    pictures(tmp_path / "p", [BROKEN_WIDTH, 101])
    report = index.update([tmp_path / "p"], read_text=True)
    assert report.counts["added"] == 2 and report.counts["failed"] == 0
    assert report.text.read == 2 and report.text.warnings == 1
    assert index.store.texts.counts() == (2, 1, 1)
    broken = str(tmp_path / "p" / f"w{BROKEN_WIDTH}.jpg")
    assert index.store.texts.warnings() == [(broken, "the recogniser crashed")]
    listed = imgsearch("status", "--index", str(tmp_path / "index"), "--errors")
    assert (
        f"{broken}: text not read (indexed all the same): the recogniser crashed" in listed.stdout
    )
    shown = json.loads(
        imgsearch("status", "--index", str(tmp_path / "index"), "--errors", "--json").stdout
    )
    assert shown["text_warnings"] == [{"path": broken, "message": "the recogniser crashed"}]
    assert shown["text"] == {"ocr": True, "read": 2, "with_text": 1, "warnings": 1}
    assert index.update([tmp_path / "p"]).text.read == 0  # not retried until it changes


def test_reading_text_afterwards_resumes_where_it_was_interrupted(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pictures(tmp_path / "p", list(range(115, 135, 2)))  # ten pictures
    index.update([tmp_path / "p"])
    monkeypatch.setattr(indexer_text, "WRITE_EVERY", 3)
    seen: list[int] = []

    def stop_after_seven(done: int, total: int) -> None:
        seen.append(done)
        if done == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.update([tmp_path / "p"], read_text=True, on_text=stop_after_seven)
    assert index.store.texts.counts()[0] == 6  # two batches of three committed
    resumed = index.update([tmp_path / "p"])
    assert resumed.text.read == 4 and index.store.texts.counts() == (10, 10, 0)
    assert max(StandInReader.calls.values()) <= 2  # the batch in flight, read again


def test_text_policy_is_checked() -> None:
    with pytest.raises(InvalidSettings, match="max side"):
        TextPolicy(read=True, max_side=10)
    assert TextPolicy(read=True).stamp.startswith("rapidocr-1.4.4/pp-ocrv4/side=1280")
    assert TextPolicy.from_dict({"read": True, "unknown": 1}) == TextPolicy(read=True)


def test_the_picture_is_read_from_disk_once_for_model_and_reader(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large JPEG: decoded at reduced scale for the model and the first look, then —
    text seen — again from the bytes in memory, at the scale the reading needs."""
    pictures(tmp_path / "p", [2603], height=2000)
    opened: list[str] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        opened.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    report = index.update([tmp_path / "p"], read_text=True)
    assert report.text.with_text == 1 and opened.count("w2603.jpg") == 1
    assert StandInReader.shapes[2603] == (983, 1280, 3)  # a 1,280-px copy, not the 1/4 draft


def test_a_picture_has_the_same_vector_whether_its_text_is_read_or_not(tmp_path: Path) -> None:
    """31 of 208 JPEG vectors once differed with --ocr (cosine down to 0.9987): the model
    got the reader's decode. Large and small JPEGs and PNGs, one under the reader's side
    and one over it, get byte-identical vectors either way."""
    folder = tmp_path / "p"
    pictures(folder, [101, 102, 2500, 2501, 1502], height=1900)
    vectors = []
    for name, read_text in (("plain", False), ("ocr", True)):
        with Index.open(tmp_path / name, model="fake-hash") as opened:
            opened.update([folder], read_text=read_text)
            records = sorted(opened.store.get(range(1, 100)), key=lambda r: r.path)
            vectors.append(opened.store.vectors([r.id for r in records]).tobytes())
    assert len(records) == 5 and vectors[0] == vectors[1]


def test_scanned_pdf_pages_are_read_page_by_page_when_text_is_read(
    index: Index, tmp_path: Path
) -> None:
    """Pages without a text layer (pictures of pages) are read like pictures, rendered at
    the reader's size; each line knows its page. Without --ocr they are not read; turned
    on later, a PDF indexed before is read without being embedded again, and a new one is
    read as it is indexed."""
    pytest.importorskip("pypdfium2")
    from imgsearch.ocr.policy import DEFAULT_MAX_SIDE
    from tests.kinds.pdfs import write_pdf

    folder = tmp_path / "p"
    folder.mkdir()
    # pages 301 and 300 pt wide: the stand-in reads "Label 301" in the first, nothing else
    write_pdf(folder / "scan.pdf", [photo(301, 200, seed=1), photo(300, 200, seed=2)])
    index.update([folder], read_text=False)
    assert index.text_lines(index.find(folder / "scan.pdf").id) == []
    assert not StandInReader.calls
    caught_up = index.update([folder], read_text=True)
    assert caught_up.counts["unchanged"] == 1 and caught_up.embedded == 0
    assert caught_up.text.read == 1 and caught_up.text.with_text == 1
    lines = index.text_lines(index.find(folder / "scan.pdf").id)
    assert [(line.page, line.text) for line in lines] == [(1, "Label 301")]
    assert lines[0].box.w == 301 / 2  # in the page's points
    assert StandInReader.calls == Counter({301: 1, 300: 1})
    assert max(StandInReader.shapes[301][:2]) == DEFAULT_MAX_SIDE
    again = index.update([folder], read_text=True)  # read with these settings: not again
    assert again.text.read == 0 and StandInReader.calls == Counter({301: 1, 300: 1})
    write_pdf(folder / "new.pdf", [photo(303, 200, seed=3)])
    assert index.update([folder], read_text=True).counts["added"] == 1
    assert [line.text for line in index.text_lines(index.find(folder / "new.pdf").id)] == [
        "Label 303"
    ]
    found = index.search("label", filters=Filters(contains_text=("label 301",)))
    assert [(h.image.kind, h.region.region.frame if h.region else None) for h in found] == [
        ("pdf", 1)
    ]
