"""PDF documents in the index: every page an item found on its own (Python and the command
line), the document kept in step with the disk, and broken PDFs recorded file by file with
their reason, in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pypdfium2")

from imgsearch import Index
from imgsearch.kinds.pdf import _pdf_time
from imgsearch.query.expression import Query, parse_expression
from imgsearch.query.hits import hit_as_dict
from imgsearch.store import Filters
from tests.cli.test_cli import imgsearch
from tests.conftest import photo
from tests.kinds.pdfs import text_pdf, write_pdf, write_torture


@pytest.fixture
def media(tmp_path: Path) -> Path:
    """A catalogue of three pictures (one a page), a still photo, and page 2 on its own."""
    root = tmp_path / "media"
    root.mkdir()
    write_pdf(root / "catalogue.pdf", [photo(320, 240, seed=s) for s in (1, 2, 3)])
    photo(64, 48, seed=9).save(root / "still.jpg")
    photo(320, 240, seed=2).save(tmp_path / "page2.png")
    return root


def pages_of(index: Index, path: Path) -> list[int | None]:
    return [r.region.frame for r in index.regions(path) if r.region.source == "page"]


def test_every_page_is_found_on_its_own_and_the_document_kept_in_step(
    tmp_path: Path, media: Path
) -> None:
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        report = index.update([media])
        assert report.counts["added"] == 2 and not report.failures
        assert report.embedded == 4  # three pages and the photo
        record = index.find(media / "catalogue.pdf")
        assert (record.kind, record.format, record.frame_count) == ("pdf", "PDF", 3)
        assert (record.width, record.height) == (320, 240)  # the first page, in points
        assert pages_of(index, media / "catalogue.pdf") == [1, 2, 3]

        hits = index.search(str(tmp_path / "page2.png"), top=5)
        first = hit_as_dict(hits[0])
        assert first["media"] == "pdf" and first["region"]["source"] == "page"
        assert first["part"] == {"source": "page", "number": 2, "time": None, "label": "page 2"}
        assert first["cosine"] == pytest.approx(1.0, abs=1e-4)
        pages = [h.region.region.frame for h in hits if h.image.kind == "pdf" and h.region]
        assert sorted(pages) == [1, 2, 3]  # each page a hit of its own
        assert hit_as_dict(next(h for h in hits if h.image.kind == "image"))["part"] is None
        only = index.search(str(tmp_path / "page2.png"), filters=Filters(media="pdf"), top=5)
        assert {h.image.kind for h in only} == {"pdf"} and len(only) == 3
        parts = parse_expression(str(tmp_path / "page2.png"))
        whole = index.search(Query(tuple(parts), top=5, regions=False))
        assert [h.region for h in whole if h.image.kind == "pdf"] == [None]  # the document

        assert index.update([media]).counts["unchanged"] == 2
        write_pdf(media / "catalogue.pdf", [photo(200, 300, seed=s) for s in (4, 5)])
        assert index.update([media]).counts["updated"] == 1
        assert pages_of(index, media / "catalogue.pdf") == [1, 2]
        (media / "catalogue.pdf").unlink()
        assert index.update([media]).counts["removed"] == 1
        assert index.search(str(tmp_path / "page2.png"), filters=Filters(media="pdf")) == []


def test_pdf_pages_through_the_command_line(tmp_path: Path, media: Path) -> None:
    index = str(tmp_path / "index")
    done = imgsearch("index", str(media), "--index", index, "-m", "fake-hash")
    assert done.returncode == 0, done.stderr
    example = str(tmp_path / "page2.png")
    listed = imgsearch("search", example, "--index", index, "--media", "pdf", "--json")
    hits = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (hits[0]["media"], hits[0]["part"]["label"]) == ("pdf", "page 2")
    assert sorted(h["part"]["number"] for h in hits) == [1, 2, 3]
    table = imgsearch("search", example, "--index", index, "--top", "1")
    assert "catalogue.pdf page 2" in table.stdout
    wrong = imgsearch("search", example, "--index", index, "--media", "films")
    assert wrong.returncode == 2 and "pdf" in wrong.stderr
    status = json.loads(imgsearch("status", "--index", index, "--json").stdout)
    assert status["kinds"] == {"image": 1, "pdf": 1} and status["images"] == 2
    assert "(1 image, 1 pdf;" in imgsearch("status", "--index", index).stdout


INDEX_TORTURE = """
import json, sys
from tests.fakes import register
register()
from imgsearch import Index
with Index.open(sys.argv[2], model="fake-hash") as index:
    report = index.update([sys.argv[1]])
    verdicts = {f.path.rsplit("/", 1)[-1]: f.code for f in report.failures}
    for record in index.store.get(list(range(1, 100))):
        verdicts[record.path.rsplit("/", 1)[-1]] = "indexed"
# VmHWM, not ru_maxrss: that one counts the parent's pages from before exec
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"verdicts": verdicts, "peak_mb": peak / 1024}))
"""


def test_broken_pdfs_are_recorded_file_by_file_in_bounded_memory(tmp_path: Path) -> None:
    expected = write_torture(tmp_path / "torture")
    run = subprocess.run(
        [sys.executable, "-c", INDEX_TORTURE, str(tmp_path / "torture"), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.splitlines()[-1])
    assert outcome["verdicts"] == expected
    assert outcome["peak_mb"] < 400, outcome  # a million-page tree and a 200 km page


def test_a_pdf_date_is_read_with_its_zone() -> None:
    assert _pdf_time("D:20240131120000+02'00'") == 1706695200.0  # 10:00 UTC
    assert _pdf_time("D:20240131120000Z") == _pdf_time("D:20240131120000") == 1706702400.0
    assert _pdf_time("D:2024") == 1704067200.0
    assert _pdf_time("D:20241341") is None and _pdf_time("yesterday") is None
    assert _pdf_time(None) is None


@pytest.mark.slow
def test_pdfs_in_postgresql_as_in_the_embedded_store(
    tmp_path: Path, media: Path, postgres_url: str
) -> None:
    separator = "&" if "?" in postgres_url else "?"
    found = {}
    for name, location in (
        ("sqlite", str(tmp_path / "index")),
        ("postgres", f"{postgres_url}{separator}collection=pdfs"),
    ):
        with Index.open(location, model="fake-hash") as index:
            assert index.update([media]).counts["added"] == 2
            record = index.find(media / "catalogue.pdf")
            hits = index.search(str(tmp_path / "page2.png"), filters=Filters(media="pdf"))
            found[name] = (
                record.kind,
                record.frame_count,
                pages_of(index, media / "catalogue.pdf"),
                [(hit_as_dict(h)["part"]["number"], round(h.cosine, 5)) for h in hits],
            )
    assert found["sqlite"] == found["postgres"]
    assert found["sqlite"][3][0][0] == 2


def test_the_words_on_a_page_find_that_page(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (root / "letters.pdf").write_bytes(
        text_pdf(
            [
                ((0.8, 0.1, 0.1), ["Dear customer,"]),
                ((0.1, 0.6, 0.2), ["Invoice 4711", "Total due: 120 EUR"]),
                ((0.1, 0.2, 0.8), ["Bahnhofstrasse 12", "Zurich"]),
            ]
        )
    )
    for n in range(5):  # words most of a collection carries do not count: "invoice" is rare
        photo(64, 48, seed=9 + n).save(root / f"still-{n}.jpg")
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        assert index.update([root]).counts["added"] == 6
        record = index.find(root / "letters.pdf")
        read = index.text_lines(record.id)
        assert [(line.page, line.text) for line in read] == [
            (1, "Dear customer,"),
            (2, "Invoice 4711"),
            (2, "Total due: 120 EUR"),
            (3, "Bahnhofstrasse 12"),
            (3, "Zurich"),
        ]
        assert all(line.confidence == 1.0 and line.box.y < 300 for line in read)
        # the words are page 2's: it ranks first of the document's pages, with its line
        hits = index.search("invoice", metadata_weight=1.0, top=5)
        first = hit_as_dict(hits[0])
        assert first["part"]["number"] == 2 and first["text"]["text"] == "Invoice 4711"
        assert first["text"]["page"] == 2
        # a contains-text filter keeps only the pages that hold the phrase
        found = index.search("letter", filters=Filters(contains_text=("bahnhofstrasse",)))
        assert [(h.image.kind, h.region.region.frame if h.region else None) for h in found] == [
            ("pdf", 3)
        ]
        assert found[0].text is not None and found[0].text.text == "Bahnhofstrasse 12"
    listed = imgsearch(
        "search", "anything", "--index", str(tmp_path / "index"), "--contains-text", "zurich",
        "--json",
    )  # fmt: skip
    [hit] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert hit["part"]["label"] == "page 3" and hit["text"]["page"] == 3
