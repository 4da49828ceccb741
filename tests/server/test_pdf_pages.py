"""PDF pages over HTTP: hits name their page and link to its picture, GET
/v1/pdfs/{id}/page/{n} serves a rendered page (cached, with an ETag), a page as the query
finds its like, and wrong ids, kinds and pages are JSON errors."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

pytest.importorskip("pypdfium2")

from imgsearch import Index
from imgsearch.server import ServerSettings, create_app
from tests.conftest import photo
from tests.kinds.pdfs import write_pdf

PAGES = [photo(320, 240, seed=s) for s in (1, 2, 3)]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int, int]]:
    folder = tmp_path_factory.mktemp("pdf-api")
    root = folder / "media"
    root.mkdir()
    write_pdf(root / "catalogue.pdf", PAGES)
    photo(64, 48, seed=9).save(root / "still.jpg")
    with Index.open(folder / "index", model="fake-hash") as index:
        index.update([root])
        pdf_id = index.find(root / "catalogue.pdf").id
        still_id = index.find(root / "still.jpg").id
    settings = ServerSettings(index=folder / "index", roots=[root], thumbnails=folder / "thumbs")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client, pdf_id, still_id


def _like(jpeg: bytes, page: Image.Image) -> float:
    """Mean absolute difference (0–255) between a served JPEG and the page's picture."""
    served = Image.open(io.BytesIO(jpeg)).convert("RGB")
    wanted = page.resize(served.size)
    return float(np.abs(np.asarray(served, np.int32) - np.asarray(wanted, np.int32)).mean())


def test_a_hit_on_a_page_names_it_and_links_to_its_picture(
    served: tuple[TestClient, int, int],
) -> None:
    client, pdf_id, _ = served
    body = io.BytesIO()
    PAGES[1].save(body, "PNG")
    query = {"parts": [{"image_base64": base64.b64encode(body.getvalue()).decode()}]}
    hits = client.post("/v1/search", json={**query, "filters": {"media": "pdf"}}).json()["hits"]
    assert (hits[0]["id"], hits[0]["part"]["number"]) == (pdf_id, 2)
    assert sorted(h["part"]["number"] for h in hits) == [1, 2, 3]
    assert {h["media"] for h in hits} == {"pdf"}
    region, part = hits[0]["region"], hits[0]["part"]
    assert region["source"] == "page" and region["frame"] == 2
    assert region["thumbnail"] == part["picture"] == f"/v1/pdfs/{pdf_id}/page/2"
    assert part["open"] == f"/v1/images/{pdf_id}/file#page=2" and part["label"] == "page 2"
    picture = client.get(region["thumbnail"], params={"size": 512})
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(picture.content)).size == (512, 384)
    assert _like(picture.content, PAGES[1]) < 12 < _like(picture.content, PAGES[0])
    again = client.get(region["thumbnail"], params={"size": 512},
                       headers={"If-None-Match": picture.headers["etag"]})  # fmt: skip
    assert again.status_code == 304
    # the page itself as the query: its like first, the page first of all
    similar = client.post("/v1/search", json={"parts": [{"region_id": region["id"]}]}).json()
    assert (similar["hits"][0]["id"], similar["hits"][0]["part"]["number"]) == (pdf_id, 2)


def test_the_document_shows_its_first_page_and_serves_the_file_as_a_pdf(
    served: tuple[TestClient, int, int],
) -> None:
    client, pdf_id, _ = served
    record = client.get(f"/v1/images/{pdf_id}").json()
    assert (record["media"], record["format"], record["frame_count"]) == ("pdf", "PDF", 3)
    assert [r["frame"] for r in record["regions"]] == [1, 2, 3]
    thumbnail = client.get(record["links"]["thumbnail"], params={"size": 256})
    assert thumbnail.status_code == 200
    assert _like(thumbnail.content, PAGES[0]) < 12
    file = client.get(record["links"]["file"])
    assert file.headers["content-type"] == "application/pdf" and file.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/pdfs/{pdf}/page/4", 404),  # the document has three pages
        ("/v1/pdfs/{pdf}/page/0", 422),
        ("/v1/pdfs/{pdf}/page/two", 422),
        ("/v1/pdfs/{still}/page/1", 404),  # not a PDF
        ("/v1/pdfs/999999/page/1", 404),
        ("/v1/videos/{pdf}/frame?t=1", 404),  # not a video
    ],
)
def test_wrong_pages_ids_and_kinds_are_json_errors(
    served: tuple[TestClient, int, int], path: str, status: int
) -> None:
    client, pdf_id, still_id = served
    answer = client.get(path.format(pdf=pdf_id, still=still_id))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] and error["message"]
