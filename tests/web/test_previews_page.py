"""Previews in the page: a search's (and the landing view's) rows on screen show each
picture's inline preview at once, behind a thumbnail still on its way, and the thumbnail
replaces it when it comes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.web.conftest import Site
from tests.web.test_page import search

pytestmark = pytest.mark.slow

BEHIND = """() => [...document.querySelectorAll('#grid .tile img')].map((img) => ({
  previewed: img.classList.contains('previewed'),
  background: getComputedStyle(img).backgroundImage.slice(0, 27),
  loaded: img.complete && img.naturalWidth > 0,
}))"""


def test_the_rows_on_screen_show_previews_until_their_thumbnails_come(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    held: list[Any] = []
    page.route("**/v1/images/*/thumbnail*", lambda route: held.append(route))
    page.goto(site.url)
    asked: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: asked.append(r.post_data_json) if r.url.endswith("/v1/search") else None,
    )
    search(page, "red circle")
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length >= 10")
    tiles = page.evaluate(BEHIND)
    wanted = asked[-1]["previews"]
    # the page asks for the rows on screen (about 7 tiles a row at 1280 × 900: 40, a page)
    assert 20 <= wanted <= 40
    assert all(
        t["previewed"] and t["background"] == 'url("data:image/png;base64,' for t in tiles[:wanted]
    )
    assert not any(t["previewed"] or t["background"] != "none" for t in tiles[wanted:])
    assert not any(t["loaded"] for t in tiles[:wanted])  # no thumbnail came yet
    page.unroute("**/v1/images/*/thumbnail*")
    for route in held:
        # the landing view's were cancelled by the page when it searched
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    page.wait_for_function(
        "n => [...document.querySelectorAll('#grid .tile img')].slice(0, n)"
        ".every((img) => img.complete && img.naturalWidth > 0 && !img.classList.contains('previewed'))",
        arg=wanted,
    )
    first = page.evaluate(BEHIND)[0]
    assert first["background"] == "none" and first["loaded"]  # the thumbnail, alone
