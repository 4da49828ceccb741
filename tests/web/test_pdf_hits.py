"""PDF pages on the web page: a hit on a page shows that page and names it, its detail
view shows the page large and opens the document at it, and the media filter keeps only
pages — in a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("pypdfium2")

from tests.web.conftest import Site
from tests.web.test_page import tiles, wait_for_thumbnails


def test_a_pdf_hit_shows_its_page_and_opens_the_document_there(
    open_page: Any, pdf_site: Site
) -> None:
    page = open_page(pdf_site)
    page.goto(f"{pdf_site.url}?q=red+star")
    tiles(page)
    first = page.locator("#grid .tile.page").first
    assert first.locator(".moment").text_content() == "page 2"  # the red star's page first
    position = page.eval_on_selector_all(
        "#grid .tile", "ts => ts.findIndex(t => t.classList.contains('page'))"
    )
    wait_for_thumbnails(page, position + 1)
    src = first.locator("img").get_attribute("src") or ""
    assert "/v1/pdfs/" in src and "/page/2" in src  # the page, not the document's cover

    first.click()
    page.wait_for_function("() => document.querySelector('#detail').open")
    page.wait_for_function(
        "() => { const i = document.querySelector('#detail-image');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    large = page.get_attribute("#detail-image", "src") or ""
    assert "/page/2" in large
    assert (page.text_content("#detail-path") or "").endswith("catalogue.pdf — page 2")
    assert (page.get_attribute("#detail-open", "href") or "").endswith("#page=2")
    assert not page.is_visible("#detail-hint")  # no box is drawn on a page
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#detail').open")

    page.click("#toggle-filters")
    page.select_option("#filters select[name=media]", "pdf")
    page.wait_for_function("() => new URLSearchParams(location.search).get('media') === 'pdf'")
    page.wait_for_function(
        "() => !document.querySelector('#grid').hasAttribute('aria-busy')"
        " && [...document.querySelectorAll('#grid .tile')].every(t => t.classList.contains('page'))"
    )
    badges = page.eval_on_selector_all("#grid .tile .moment", "bs => bs.map(b => b.textContent)")
    assert sorted(badges) == ["page 1", "page 2", "page 3"]
