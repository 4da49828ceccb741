"""The web page on a collection that lacks what is asked for: nothing is shown as a likely
match, and the page says why — the picture nearest the query is better described by a
rival ("cross" for "star"), as the server's judgement says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from tests.web.conftest import API_KEY, SEED, Site, _stop, said, serve
from tests.web.test_page import _api_hits, _shows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def starless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """200 demo pictures without a star or anything purple, as a folder (no boxes)."""
    folder = tmp_path_factory.mktemp("starless")
    shapes = generate_collection(
        folder / "photos", 200, seed=SEED + 7, leave_out=["star", "purple"]
    )
    with Index.open(folder / "index", model="demo-shapes") as opened:
        opened.update([shapes.root])
    process, url = serve(folder / "index", shapes.root, folder / "serve.log")
    yield Site(url, shapes.root, shapes, shapes, shapes.root, process)
    _stop(process)


def _note(site: Site, text: str) -> str:
    body = {"text": text, "min_confidence": "auto"}
    headers = {"Ocp-Apim-Subscription-Key": API_KEY}
    answer = httpx.post(f"{site.url}v1/search", json=body, headers=headers, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["confidence"]["note"])


def test_an_absent_shape_shows_nothing_and_says_which_rival_is_here(
    open_page: Any, starless: Site
) -> None:
    page = open_page(starless)
    assert _api_hits(starless, "star", "auto") == []
    note = _note(starless, "star")
    assert note.startswith("nothing here is described by “star” better than by “")
    page.goto(f"{starless.url}?q=star")
    message = said(page, "Nothing here is likely a real match")
    assert f"Nothing here is likely a real match ({note})." in message
    assert page.locator("#grid .tile").count() == 0
    page.click("#message button")  # show weaker matches: they come, confidence and all
    _shows(page, _api_hits(starless, "star", None))
    page.goto(f"{starless.url}?q=blue+circle")  # a present concept: no such note
    assert "seems not to be" not in said(page, "likely real matches")
