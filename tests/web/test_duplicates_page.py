"""The duplicates view of the page in a real Chromium: the groups the API reports, names
shown as text, the threshold in the URL, and back to searching."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import XSS_NAME, Site

pytestmark = pytest.mark.slow


def api_groups(site: Site, **params: object) -> list[list[str]]:
    answer = httpx.get(f"{site.url}v1/duplicates", params={"limit": 100, **params}, timeout=60)
    answer.raise_for_status()
    return [[m["path"].rsplit("/", 1)[-1] for m in g["members"]] for g in answer.json()["groups"]]


def shown_groups(page: Any) -> list[list[str]]:
    page.wait_for_function(
        "() => !/Comparing/.test(document.querySelector('#duplicates-summary').textContent)"
    )
    groups: list[list[str]] = page.eval_on_selector_all(
        "#duplicate-groups .dup-group",
        "gs => gs.map(g => [...g.querySelectorAll('.dup-name')].map(n => n.textContent))",
    )
    return groups


def test_the_duplicates_view_shows_the_reported_groups_as_text(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    page.click("#show-duplicates")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('view') === 'duplicates'"
    )
    expected = api_groups(site)
    assert any(XSS_NAME in group for group in expected)  # the copy made under a tag's name
    assert shown_groups(page) == expected
    assert page.locator("#duplicates").is_visible()
    # the name is text: no element was made from it and nothing ran (the page watch fails
    # the test on any dialog or script error)
    assert page.locator("#duplicate-groups img[src='x']").count() == 0
    first = page.locator("#duplicate-groups .dup-group").first
    assert first.locator(".dup-member").first.locator(".dup-keep").inner_text() == "keep?"
    first.locator("summary").click()
    assert "confidence" in first.locator(".dup-pairs li").first.inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dup-thumb img')].every(i => i.complete && i.naturalWidth > 0)"
    )


def test_the_threshold_lives_in_the_url_and_a_search_leaves_the_view(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?view=duplicates&confidence=0.99")
    assert shown_groups(page) == api_groups(site, min_confidence=0.99)
    assert page.input_value("#duplicates-form input[name=confidence]") == "0.99"
    page.locator("#duplicates-form input[name=confidence]").fill("0.3")
    page.wait_for_function("() => new URLSearchParams(location.search).get('confidence') === '0.3'")
    assert shown_groups(page) == api_groups(site, min_confidence=0.3)
    page.fill("#q", "red circle")
    page.press("#q", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length > 0")
    assert not page.locator("#duplicates").is_visible()
    # the duplicates' threshold is theirs: the search is cut as any search is, not at it
    assert "confidence" not in page.evaluate("location.search")
    assert page.input_value("#filters input[name=confidence]") == "0.5"
    page.go_back()  # back to the duplicates, as they were
    page.wait_for_function("() => !document.querySelector('#duplicates').hidden")
    assert shown_groups(page) == api_groups(site, min_confidence=0.3)
