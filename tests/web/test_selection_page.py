"""Picking many pictures in a real Chromium and acting on them: click, Shift range, Ctrl,
drag and Space pick; the bar downloads a zip, exports, copies paths, tags many at once;
the duplicates view selects every copy but the one to keep; a long press picks on a
phone. Nothing is deleted."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Site, docs_screenshot

pytestmark = pytest.mark.slow


def landing(page: Any, site: Site) -> None:
    page.goto(site.url)
    page.wait_for_function(
        "() => /newest first/.test(document.querySelector('#message').textContent)"
        " && document.querySelectorAll('#grid .tile').length >= 20"
    )


def picked(page: Any) -> list[str]:
    names: list[str] = page.eval_on_selector_all(
        "#grid li.picked .tile img", "is => is.map(i => i.alt)"
    )
    return names


def names_at(page: Any, positions: range | list[int]) -> list[str]:
    alts = page.eval_on_selector_all("#grid .tile img", "is => is.map(i => i.alt)")
    return [alts[n] for n in positions]


def count(page: Any) -> str:
    return str(page.inner_text("#selection .selection-count"))


def downloaded(page: Any, selector: str) -> tuple[str, bytes]:
    with page.expect_download() as download:
        page.click(selector)
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_pick_by_click_range_ctrl_drag_and_space_then_zip_export_and_copy(
    browser: Any, site: Site
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url.rstrip("/"))
    try:
        page = context.new_page()
        landing(page, site)
        assert page.locator("#selection").is_hidden()
        tiles = page.locator("#grid li")
        tiles.nth(1).hover()
        tiles.nth(1).locator(".pick").click()
        tiles.nth(4).locator(".pick").click(modifiers=["Shift"])  # 1 to 4
        assert count(page) == "4 selected" and picked(page) == names_at(page, range(1, 5))
        tiles.nth(8).locator(".tile").click(modifiers=["Control"])
        tiles.nth(9).locator(".tile").click()  # while picking, a click picks
        assert count(page) == "6 selected" and page.locator("#detail").is_hidden()
        tiles.nth(9).locator(".tile").click()  # … and again unpicks
        tiles.nth(12).locator(".tile").focus()
        page.keyboard.press("Space")  # the keyboard picks, never opens
        assert count(page) == "6 selected" and page.locator("#detail").is_hidden()

        # a drag from one pick across the next tiles picks them all
        page.keyboard.press("Escape")
        assert page.locator("#selection").is_hidden() and picked(page) == []
        # three tiles side by side in one row, dragged across along the row
        tops = page.eval_on_selector_all(
            "#grid li", "ls => ls.map(l => l.getBoundingClientRect().top)"
        )
        start = next(n for n in range(6, len(tops) - 2) if tops[n] == tops[n + 1] == tops[n + 2])
        box = tiles.nth(start).locator(".pick").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] / 2, y)
        page.mouse.down()
        for n in (start + 1, start + 2):
            target = tiles.nth(n).bounding_box()
            page.mouse.move(target["x"] + target["width"] / 2, y, steps=4)
        page.mouse.up()
        assert picked(page) == names_at(page, [start, start + 1, start + 2])
        docs_screenshot(page, "selection-bar")

        name, content = downloaded(page, "[data-act=zip]")
        assert name == "imgsearch-selection.zip"
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert sorted(Path(n).name for n in archive.namelist()) == sorted(picked(page))
        page.select_option("#export-format", "csv")
        name, content = downloaded(page, "[data-act=export]")
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        assert name.endswith(".csv") and [Path(r["path"]).name for r in rows] == picked(page)
        page.select_option("#export-format", "coco")
        _, content = downloaded(page, "[data-act=export]")
        assert len(json.loads(content)["images"]) == 3
        page.click("[data-act=paths]")
        page.wait_for_function(
            "() => /Copied 3 paths/.test(document.querySelector('#message').textContent)"
        )
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert [Path(p).name for p in copied.splitlines()] == picked(page)

        page.click("[data-act=all]")  # every picture loaded
        assert count(page) == f"{page.locator('#grid .tile').count()} selected"
        page.fill("#q", "red circle")  # a new search starts a new selection
        page.press("#q", "Enter")
        page.wait_for_selector("#grid .tile .rank")
        assert page.locator("#selection").is_hidden()
    finally:
        context.close()


def test_tag_many_at_once_and_find_them_by_the_tag(fresh_site: Site, open_page: Any) -> None:
    page = open_page(fresh_site)
    landing(page, fresh_site)
    tiles = page.locator("#grid li")
    for n in (0, 3, 5):
        tiles.nth(n).locator(".tile").click(modifiers=["Control"])
    chosen = sorted(picked(page))
    page.click("[data-act=tag]")
    page.fill("#tag-dialog input[name=add]", "trip, <i>x</i>")
    page.click("#tag-dialog button[value=ok]")
    page.wait_for_function(
        "() => /Changed 3 items/.test(document.querySelector('#message').textContent)"
    )
    trip = page.locator(".facet-row[aria-label='Tags'] button", has_text="trip")
    trip.wait_for()
    assert "3" in trip.inner_text()
    assert page.locator(".facet-row[aria-label='Tags'] i").count() == 0  # a tag is text
    trip.click()
    page.wait_for_function(
        "() => /^3 items match/.test(document.querySelector('#message').textContent)"
    )
    shown = sorted(page.eval_on_selector_all("#grid .tile img", "is => is.map(i => i.alt)"))
    assert shown == chosen


def test_duplicates_select_every_copy_but_the_one_to_keep(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?view=duplicates")
    page.wait_for_function(
        "() => !/Comparing/.test(document.querySelector('#duplicates-summary').textContent)"
    )
    group = page.locator("#duplicate-groups .dup-group").first
    members = group.locator(".dup-name").all_inner_texts()
    group.get_by_role("button", name="Select the others").click()
    assert count(page) == f"{len(members) - 1} selected"
    assert group.locator(".dup-member.keep.picked").count() == 0
    chosen = group.locator(".dup-member.picked .dup-name").all_inner_texts()
    assert chosen == members[1:]
    last = group.locator(".dup-member").last
    last.get_by_role("button", name="Keep").click()  # keep another copy instead
    chosen = group.locator(".dup-member.picked .dup-name").all_inner_texts()
    assert chosen == members[:-1] and count(page) == f"{len(members) - 1} selected"


def test_on_a_phone_a_long_press_picks_and_the_bar_fits_a_finger(phone: Any, site: Site) -> None:
    landing(phone, site)
    first = phone.locator("#grid li").first
    box = first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    phone.evaluate(
        """([x, y]) => {
            const target = document.elementFromPoint(x, y);
            const init = {bubbles: true, pointerType: 'touch', clientX: x, clientY: y, isPrimary: true};
            target.dispatchEvent(new PointerEvent('pointerdown', init));
            return new Promise((done) => setTimeout(() => {
                target.dispatchEvent(new PointerEvent('pointerup', init));
                target.click();
                done();
            }, 700));
        }""",
        [x, y],
    )
    assert count(phone) == "1 selected" and phone.locator("#detail").is_hidden()
    phone.locator("#grid li").nth(2).locator(".tile").tap()  # picking: a tap picks
    assert count(phone) == "2 selected" and phone.locator("#detail").is_hidden()
    small = phone.evaluate(
        "() => [...document.querySelectorAll('#selection button, #selection select, #grid .pick')]"
        ".filter(e => e.offsetParent)"
        ".map(e => [e.dataset.act || e.getAttribute('aria-label') || e.textContent,"
        " e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
        ".filter(([, w, h]) => w < 44 || h < 44)"
    )
    assert small == [], small
    bar = phone.locator("#selection").bounding_box()
    assert bar["y"] + bar["height"] <= 844 and bar["width"] <= 390
