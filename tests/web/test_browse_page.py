"""The browse view in a real Chromium: with no query the page shows the collection,
newest first, with its folders, months and tags to narrow it — each a URL, Back undoes
it — at desktop and phone size, strings shown as text."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import Site, docs_screenshot, said

pytestmark = pytest.mark.slow


def shown_names(page: Any) -> list[str]:
    names: list[str] = page.eval_on_selector_all("#grid .tile img", "is => is.map(i => i.alt)")
    return names


def facet(page: Any, row: str, name: str) -> Any:
    return page.locator(f".facet-row[aria-label='{row}'] button", has_text=name).first


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_landing_page_browses_the_collection_by_folder_month_and_tag(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    page.goto(site.url)
    total = len(site.shapes.images) + len(site.holiday.images) + 1  # and the copy with a tag
    assert said(page, "items, newest first").startswith(f"{total} items, newest first")
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length >= 40")
    assert page.locator("#grid .tile .rank").count() == 0  # a listing, not a ranking
    holiday = {image.path.name for image in site.holiday.images}
    # newest first: the holiday folder's files are years old, so they come last
    assert not holiday & set(shown_names(page))

    folders = page.inner_text(".facet-row[aria-label='Folders']")
    assert "holiday\n30" in folders and f"shapes\n{len(site.shapes.images) + 1}" in folders
    # a tag that looks like markup is a tag's text, never an element
    assert page.locator(".facet-row[aria-label='Tags'] b").count() == 0
    assert facet(page, "Tags", "<b>bold</b>").is_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#grid .tile img')].slice(0, 12)"
        ".every(i => i.complete && i.naturalWidth > 0 && !i.classList.contains('previewed'))"
    )  # the thumbnails, not the previews
    docs_screenshot(page, "browse-landing")

    page.locator(".timeline-month[aria-label='Jul 2019: 30 items']").click()  # one month
    assert said(page, "match these filters").startswith("30 items match these filters")
    assert query(page)["after"] == ["2019-07-01"] and query(page)["before"] == ["2019-08-01"]
    assert page.locator(".timeline-month[aria-pressed='true']").count() == 1
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length === 30")
    assert set(shown_names(page)) == holiday

    facet(page, "Folders", "holiday").click()
    said(page, "30 items match")
    assert query(page)["under"] == [str(site.root / "holiday")]

    page.select_option("#browse-order", "path")
    said(page, "by folder")
    assert query(page)["order"] == ["path"]
    names = shown_names(page)
    assert names == sorted(names)  # one folder: by name

    page.go_back()  # the order undone, the month still chosen
    said(page, "newest first")
    assert "order" not in query(page) and query(page)["after"] == ["2019-07-01"]
    page.get_by_role("button", name="All folders").click()
    page.get_by_role("button", name="All dates").click()
    said(page, f"^{total} items")

    facet(page, "Tags", "<b>bold</b>").click()
    said(page, "^1 item match")
    assert shown_names(page) == [site.xss_path.name]
    facet(page, "Tags", "<b>bold</b>").click()  # pressed again: the tag filter goes
    said(page, f"^{total} items")

    page.fill("#q", "red circle")  # typing searches the collection, and the counts go
    page.press("#q", "Enter")
    page.wait_for_selector("#grid .tile .rank")
    assert page.locator("#browse").is_hidden()
    page.fill("#q", "")
    page.press("#q", "Enter")  # an empty search: the collection again
    said(page, "newest first")
    assert page.locator("#browse").is_visible()


def test_filters_that_leave_nothing_say_so_and_clear_in_one_click(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?tags=no-such-tag")
    said(page, "No items match these filters")
    page.click("#message button")
    said(page, "newest first")
    assert query(page) == {}


def test_on_a_phone_the_collection_shows_above_the_fold_and_every_facet_fits_a_finger(
    phone: Any, site: Site
) -> None:
    phone.goto(site.url)
    said(phone, "newest first")
    first = phone.locator("#grid .tile").first.bounding_box()
    assert first["y"] < 844 - first["height"]  # a whole first row on the first screen
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways page
    small = phone.evaluate(
        "() => [...document.querySelectorAll('#browse button, #browse select')]"
        ".map(e => [e.getAttribute('aria-label') || e.textContent.trim(),"
        " e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
        ".filter(([, w, h]) => w < 44 || h < 44)"
    )
    assert small == [], small
    phone.locator(".facet-row[aria-label='Folders'] button", has_text="holiday").tap()
    said(phone, "30 items match")


def test_a_tiles_similar_action_searches_by_that_picture(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    said(page, "newest first")
    item = page.locator("#grid li").nth(2)
    chosen = int(item.locator(".tile").get_attribute("data-id"))
    item.hover()
    item.get_by_role("button", name="Similar to").click()
    page.wait_for_selector("#grid .tile .rank")
    assert query(page)["similar"] == [str(chosen)]
    assert page.locator("#grid .tile").first.get_attribute("data-id") == str(chosen)  # itself first


def test_automatic_tags_narrow_the_collection_and_show_in_the_viewer(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    page.goto(site.url)
    row = page.locator(".facet-row[aria-label='Automatic tags']")
    row.wait_for()
    assert "red" in row.inner_text()
    facet(page, "Automatic tags", "red").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('tags') === 'red'")
    assert said(page, "match these filters")  # the grid now lists what carries the tag
    page.locator("#grid .tile").first.click()
    page.locator("#detail-facts", has_text="Automatic tags").wait_for()  # the record came
    facts = page.inner_text("#detail-facts")
    assert "red " in facts.split("Automatic tags", 1)[1]


def test_a_rating_from_the_archive_filters_and_shows_in_the_viewer(
    fresh_site: Site, open_page: Any, tmp_path: Any
) -> None:
    from imgsearch import Index
    from tests.tags.test_sidecars import DARKTABLE

    rated = fresh_site.shapes.images[0].path
    (rated.parent / (rated.name + ".xmp")).write_bytes(DARKTABLE)  # darktable's sidecar
    with Index.open(tmp_path / "index") as index:
        index.update([fresh_site.root])
    page = open_page(fresh_site)
    page.goto(f"{fresh_site.url}?min_rating=4")
    assert said(page, "match these filters").startswith("1 item")
    assert page.locator("#filters select[name='min_rating']").input_value() == "4"
    assert shown_names(page) == [rated.name]
    row = page.locator(".facet-row[aria-label='Keywords']")
    assert "holiday" in row.inner_text()  # the archive's keywords, counted
    page.locator("#grid .tile").first.click()
    page.locator("#detail-facts", has_text="Rating").wait_for()
    facts = page.inner_text("#detail-facts")
    assert "★★★★" in facts and "holiday" in facts.split("Keywords", 1)[1]
