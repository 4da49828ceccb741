"""Previews in the page: a search's (and the landing view's) rows on screen show each
picture's inline preview at once, while its thumbnail is still on its way, and the
thumbnail replaces it when it comes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.web.conftest import Site
from tests.web.test_page import search

pytestmark = pytest.mark.slow

TILES = """() => [...document.querySelectorAll('#grid .tile img')].map((img) => ({
  previewed: img.classList.contains('previewed'),
  painted: window.previewsPainted.has(img),
  loaded: img.complete && img.naturalWidth > 0,
}))"""

# What the browser reports painted (Element Timing: the tiles carry `elementtiming`): the
# images whose preview (a data: URL) reached the screen. Chromium keeps painting it while
# the thumbnail is the image's pending request, though the DOM then reports that request.
PAINTS = """window.previewsPainted = new Set();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.url.startsWith('data:image/png')) window.previewsPainted.add(entry.element);
}).observe({ type: 'element' });"""


def test_the_rows_on_screen_show_previews_until_their_thumbnails_come(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    held: list[Any] = []
    page.route("**/v1/images/*/thumbnail*", lambda route: held.append(route))
    page.add_init_script(PAINTS)
    page.goto(site.url)
    asked: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: asked.append(r.post_data_json) if r.url.endswith("/v1/search") else None,
    )
    search(page, "red circle")
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length >= 10")
    wanted = asked[-1]["previews"]
    # the page asks for the rows on screen (about 7 tiles a row at 1280 × 900: 40, a page)
    assert 20 <= wanted <= 40
    # each of them showed its preview, while no thumbnail has come
    page.wait_for_function(
        "n => [...document.querySelectorAll('#grid .tile img')].slice(0, n)"
        ".every((img) => window.previewsPainted.has(img))",
        arg=wanted,
    )
    tiles = page.evaluate(TILES)
    assert all(t["previewed"] and not t["loaded"] for t in tiles[:wanted])
    assert not any(t["previewed"] or t["painted"] for t in tiles[wanted:])
    page.unroute("**/v1/images/*/thumbnail*")
    for route in held:
        # the landing view's were cancelled by the page when it searched
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    page.wait_for_function(
        "n => [...document.querySelectorAll('#grid .tile img')].slice(0, n)"
        ".every((img) => img.complete && img.naturalWidth > 0"
        " && !img.classList.contains('previewed'))",
        arg=wanted,
    )
    first = page.evaluate("() => document.querySelector('#grid .tile img').currentSrc")
    assert "/thumbnail" in first  # the thumbnail, in the preview's place
