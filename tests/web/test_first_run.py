"""The first hour in a real Chromium: a server on an index that holds nothing yet says
so; a search there is answered (no 500) and says it found nothing; Index now fills it,
the search on screen shows what came in, the collection appears without a query; a
mistake in the URL is shown as an error, in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgsearch.demo.collection import generate_collection
from tests.web.conftest import SEED, Site, _stop, said, serve

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[Site]:
    """A folder of 12 pictures and a server whose index does not exist yet."""
    root = tmp_path / "photos"
    shapes = generate_collection(root, 12, seed=SEED + 9)
    process, url = serve(
        tmp_path / "index", root, tmp_path / "serve.log", IMGSEARCH_MODEL="demo-shapes"
    )
    yield Site(url, root, shapes, shapes, shapes.images[0].path, process)
    _stop(process)


def test_empty_index_then_search_then_index_now_then_search(
    open_page: Any, empty_site: Site
) -> None:
    page = open_page(empty_site)
    page.goto(empty_site.url)
    said(page, "Nothing is indexed yet")
    assert page.locator("#grid .tile").count() == 0 and page.locator("#browse").is_hidden()

    page.fill("#q", "red circle")
    page.press("#q", "Enter")
    message = said(page, "No images match")  # answered, in words: not an error, not a 500
    assert "error" not in (page.get_attribute("#message", "class") or "")
    assert "likely" not in message

    page.click("#toggle-status")
    page.click("#index-now")
    page.wait_for_function(
        "() => /Done: .*added 12/.test(document.querySelector('#index-progress').textContent)"
    )
    # the search on screen runs again and shows what came in
    page.wait_for_function("() => document.querySelectorAll('#grid .tile .rank').length > 0")
    red_circles = [i.path.name for i in empty_site.shapes.images if i.contains("red circle")]
    first = page.locator("#grid .tile img").first.get_attribute("alt")
    assert first in red_circles, (first, red_circles)

    page.fill("#q", "blue")  # a later search works too
    page.press("#q", "Enter")
    page.wait_for_function("() => /blue/.test(location.search)")
    said(page, "best first|No images match|Nothing here")
    page.fill("#q", "")
    page.press("#q", "Enter")  # no query: the collection itself
    said(page, "^12 items, newest first")
    assert page.locator("#grid .tile").count() == 12


def test_a_mistake_in_the_url_is_shown_as_an_error(open_page: Any, empty_site: Site) -> None:
    page = open_page(empty_site, allow=("422",))
    page.goto(f"{empty_site.url}?q=red&min_width=-5")
    message = said(page, "not valid")
    assert message.startswith("A filter or option is not valid:")
    assert "error" in (page.get_attribute("#message", "class") or "")
