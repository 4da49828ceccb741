"""The web page and a model's closed vocabulary: words ``demo-shapes`` never saw are named,
and a query it cannot read shows nothing as a likely match."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_page import _api_hits, _shows

pytestmark = pytest.mark.slow


def _message(page: Any, pattern: str) -> str:
    page.wait_for_function(
        "pattern => new RegExp(pattern).test(document.querySelector('#message').textContent)",
        arg=pattern,
    )
    return str(page.inner_text("#message"))


def test_a_query_demo_shapes_cannot_read_shows_no_likely_match(open_page: Any, site: Site) -> None:
    page = open_page(site)
    assert _api_hits(site, "forest", "auto") == [] and _api_hits(site, "forest", None)
    page.goto(f"{site.url}?q=forest")
    said = _message(page, "Nothing here is likely a real match")
    assert "demo-shapes does not know the words “forest”" in said
    assert "(it knows: background, beige, black, blue, circle" in said
    assert page.locator("#grid .tile").count() == 0
    page.click("#message button")  # show weaker matches: they come, with confidence 0
    _shows(page, _api_hits(site, "forest", None))


def test_an_unknown_word_in_a_readable_query_is_named(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=red+circles")
    said = _message(page, "likely real matches")
    assert "demo-shapes never saw the words “circles”" in said
    _shows(page, _api_hits(site, "red circles", "auto"))
    page.goto(f"{site.url}?q=red+circle")
    assert "never saw" not in _message(page, "likely real matches")


def test_hits_found_by_their_words_alone_are_called_that_and_counted_right(
    open_page: Any, site: Site
) -> None:
    """A query the model cannot read keeps the hits its words find (here one file's name):
    the page says so, in the singular for one, never "likely real matches"."""
    page = open_page(site)
    assert len(_api_hits(site, "onerror", "auto")) == 1  # the file named <img src=x onerror=…>
    page.goto(f"{site.url}?q=onerror")
    said = _message(page, "found by their words")
    assert "1 image found by their words" in said and "likely real match" not in said
    assert page.locator("#grid .tile").count() == 1
