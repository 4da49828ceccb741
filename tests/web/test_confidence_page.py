"""The web page and what a query's confidences rest on: in a collection too small to judge
confidence the page says so, and claims no "likely real matches"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site
from tests.web.test_page import _api_hits, _shows
from tests.web.test_vocabulary_page import _message

pytestmark = pytest.mark.slow


def test_a_collection_too_small_to_judge_says_so_and_offers_no_weaker_matches(
    fresh_site: Site, open_page: Any
) -> None:
    page = open_page(fresh_site)
    uncut = _api_hits(fresh_site, "red circle", None)
    assert _api_hits(fresh_site, "red circle", "auto") == uncut  # the default cut cut nothing
    page.goto(f"{fresh_site.url}?q=red+circle")
    said = _message(page, "too few images to judge confidence")
    assert "(20 < 32); no cut applied" in said
    assert "likely" not in said and page.locator("#message button").count() == 0
    _shows(page, uncut)
    # the detail shows no confidence rather than a made-up one
    page.locator("#grid .tile").first.click()
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('File')"
    )
    assert "Confidence" not in page.inner_text("#detail-facts")
