"""axe-core on the page in every state a user meets, at desktop and phone size: no
violation of any impact (WCAG 2.x A/AA rules and axe's best practices).

axe-core is installed by ``make test`` (npm, into ``.venv/axe``); without it the test is
skipped, except in CI (``IMGSEARCH_REQUIRE_BROWSER=1``). Its script is added to the page,
which the page's own Content-Security-Policy would refuse: these contexts bypass it (the
policy itself is tested in ``tests/server/test_web.py`` and by every other browser test).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Site

pytestmark = pytest.mark.slow

AXE = (
    Path(__file__).resolve().parents[2]
    / ".venv"
    / "axe"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
SIZES = ((1440, 900), (390, 844))


@pytest.fixture(scope="module")
def axe_script() -> Path:
    found = Path(os.environ.get("IMGSEARCH_AXE", AXE))
    if not found.is_file():
        reason = f"no axe-core at {found}: make test installs it (npm)"
        if os.environ.get("IMGSEARCH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _violations(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    found: list[str] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' '))"
        ".join(', ')}`)"
    )
    return found


def _check(browser: Any, axe: Path, states: list[tuple[str, Callable[[Any], None]]]) -> None:
    problems = {}
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        for name, reach in states:
            reach(page)
            found = _violations(page, axe)
            if found:
                problems[f"{name} at {width}×{height}"] = found
        context.close()
    assert problems == {}, problems


def test_search_results_viewer_and_panels(browser: Any, axe_script: Path, site: Site) -> None:
    def landing(page: Any) -> None:
        page.goto(site.url)
        page.wait_for_function(
            "() => /items, newest first/.test(document.querySelector('#message').textContent)"
        )

    def results(page: Any) -> None:
        page.goto(f"{site.url}?q=red+circle")
        page.wait_for_selector("#grid .tile img")

    def viewer(page: Any) -> None:
        page.click("#grid .tile >> nth=0")
        page.wait_for_selector("#detail-facts dd")

    def panels(page: Any) -> None:
        page.keyboard.press("Escape")
        page.locator("#detail").wait_for(state="hidden")
        if page.locator("#toggle-menu").is_visible():  # a phone: the panels wait behind ☰
            page.click("#toggle-menu")
        page.click("#toggle-filters")
        page.click("#toggle-status")
        page.wait_for_selector("#status dl")

    def shortcuts(page: Any) -> None:
        page.keyboard.press("Escape")
        page.focus("#q")
        page.keyboard.press("Tab")  # out of the search box: "?" lists the keys
        page.keyboard.press("?")
        page.locator("#shortcuts").wait_for(state="visible")

    def duplicates(page: Any) -> None:
        page.goto(f"{site.url}?view=duplicates")
        page.wait_for_selector("#duplicate-groups .dup-group")  # the site holds copies

    def picked(page: Any) -> None:
        page.get_by_role("button", name="Select the others").first.click()
        page.locator("#selection").wait_for(state="visible")

    def tagging(page: Any) -> None:
        page.click("[data-act=tag]")
        page.locator("#tag-dialog").wait_for(state="visible")

    def browsed(page: Any) -> None:
        page.keyboard.press("Escape")
        page.goto(f"{site.url}?under={site.root / 'holiday'}&after=2019-07-01&before=2019-08-01")
        page.wait_for_selector(".facet[aria-pressed], .timeline-month[aria-pressed='true']")
        page.locator("#grid li").first.locator(".tile").click(modifiers=["Control"])
        page.locator("#selection").wait_for(state="visible")

    _check(
        browser,
        axe_script,
        [("landing", landing), ("results", results), ("viewer", viewer),
         ("filters and index panel", panels), ("keys", shortcuts), ("duplicates", duplicates),
         ("copies selected", picked), ("tag many", tagging),
         ("browsed by folder and month, one picked", browsed)],
    )  # fmt: skip


def test_video_moments(browser: Any, axe_script: Path, video_site: Site) -> None:
    def results(page: Any) -> None:
        page.goto(f"{video_site.url}?q=red+circle&media=video&confidence=0")
        page.wait_for_selector("#grid .tile img")

    def viewer(page: Any) -> None:
        page.click("#grid .tile >> nth=0")
        page.wait_for_selector("#detail-moments button")

    _check(browser, axe_script, [("video results", results), ("video moments", viewer)])
