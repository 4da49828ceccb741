"""The search page in a real Chromium against a live ``imgsearch serve`` (demo model).

Each test works the page as a user does — typing, clicking, scrolling, keys — and checks
what is shown against the labels of the generated collection.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
import pytest

from imgsearch.demo.collection import generate_collection
from imgsearch.query.grammar import parse_terms
from tests.readme_examples import readme_queries
from tests.web.conftest import API_KEY, XSS_CAPTION, XSS_NAME, Site, docs_screenshot

pytestmark = pytest.mark.slow


def search(page: Any, text: str) -> None:
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_function(
        "t => document.querySelector('#q').value === t"
        " && !document.querySelector('#grid').hasAttribute('aria-busy')",
        arg=text,
    )


def tiles(page: Any, at_least: int = 1) -> list[dict[str, Any]]:
    page.wait_for_function(
        f"() => document.querySelectorAll('#grid .tile').length >= {at_least}"
        " && !document.querySelector('#grid').hasAttribute('aria-busy')"
    )
    found: list[dict[str, Any]] = page.eval_on_selector_all(
        "#grid .tile",
        "ts => ts.map(t => ({id: Number(t.dataset.id), name: t.querySelector('img').alt,"
        " rank: t.querySelector('.rank').textContent}))",
    )
    return found


def wait_for_thumbnails(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => [...document.querySelectorAll('#grid .tile img')].slice(0, n)"
        ".every(i => i.complete && i.naturalWidth > 0 && !i.classList.contains('previewed'))",
        arg=count,
    )


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_typing_red_circle_shows_red_circles(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    page.wait_for_function(
        "() => /items, newest first/.test(document.querySelector('#message').textContent)"
    )
    search(page, "red circle")
    shown = tiles(page, 10)[:10]
    by_name = site.by_name()
    assert all(by_name[t["name"]].contains("red circle") for t in shown), [
        by_name[t["name"]].caption for t in shown
    ]
    assert [t["rank"] for t in shown] == [f"#{n}" for n in range(1, 11)]
    assert query_of(page)["q"] == ["red circle"]
    assert page.locator("#chips .chip").all_inner_texts()[0].startswith("red circle")
    wait_for_thumbnails(page, 10)
    docs_screenshot(page, "search-page")


def test_scrolling_loads_the_next_page_without_duplicates(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=circle&confidence=0")
    first = tiles(page, 40)
    # The next page waits until the end of the grid comes near, as a user scrolls to it.
    page.wait_for_timeout(200)
    assert len(tiles(page, 40)) == 40
    for _ in range(100):
        if page.locator("#grid .tile").count() > 80:
            break
        page.mouse.wheel(0, 2_000)
        page.wait_for_timeout(50)
    shown = tiles(page, 81)
    ids = [t["id"] for t in shown]
    assert len(ids) == len(set(ids))
    assert ids[: len(first)] == [t["id"] for t in first]
    assert [t["rank"] for t in shown[:81]] == [f"#{n}" for n in range(1, 82)]


def test_a_mixed_query_with_a_negative_part(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    search(page, "red circle - square")
    chips = page.locator("#chips .chip")
    assert chips.count() == 2
    assert "negative" in (chips.nth(1).get_attribute("class") or "")
    by_name = site.by_name()
    shown = [by_name[t["name"]] for t in tiles(page, 10)[:10]]
    assert not any(image.contains("square") for image in shown), [i.caption for i in shown]
    assert sum(image.contains("red circle") for image in shown) >= 8
    # Removing the negative chip searches the rest at once.
    page.click("#chips .chip.negative button")
    page.wait_for_function("() => document.querySelector('#q').value === 'red circle'")
    assert query_of(page)["q"] == ["red circle"]
    # A weight typed into a chip is part of the query text.
    weight = page.locator("#chips .chip input").first
    weight.fill("2")
    weight.dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#q').value === '2:red circle'")


def test_a_search_replaced_before_its_answer_is_cancelled(open_page: Any, site: Site) -> None:
    """A user who types on while a search runs gets the new search, and the old one's
    request is dropped (its answer would only be thrown away), not left holding one of
    the browser's few connections to the server."""
    page = open_page(site)
    page.goto(f"{site.url}?confidence=0")
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)  # never answered: only the page can end it

    page.route("**/v1/search", hold_the_first)
    failed: list[tuple[str, str]] = []
    page.on(  # searches only: the collection shown first has its own calls, dropped too
        "requestfailed",
        lambda r: (
            failed.append(((r.post_data_json or {}).get("q", ""), r.failure or ""))
            if r.url.endswith("/v1/search")
            else None
        ),
    )
    page.fill("#q", "red circle")
    page.press("#q", "Enter")
    page.wait_for_function("() => document.querySelector('#grid').hasAttribute('aria-busy')")
    assert len(held) == 1
    search(page, "blue star")
    shown = tiles(page, 5)[:5]
    assert all(site.by_name()[t["name"]].contains("blue star") for t in shown)
    deadline = time.monotonic() + 10
    while not failed and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert failed == [("red circle", "net::ERR_ABORTED")]
    page.unroute("**/v1/search")


def test_folder_and_date_filters(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=circle&confidence=0")  # every hit: this is about the filters
    tiles(page, 40)
    assert page.locator("#filters").is_visible()  # a filter in the URL shows the panel
    folder = page.locator("#filters input[name=under]")
    folder.fill(f"{site.root}/ho")
    holiday = f"{site.root}/holiday/"
    page.wait_for_function(
        "f => [...document.querySelectorAll('#folders option')].some(o => o.value === f)",
        arg=holiday,
    )
    folder.fill(holiday)
    folder.dispatch_event("change")
    page.wait_for_function("() => new URLSearchParams(location.search).get('under') !== null")
    shown = tiles(page)
    names = {image.path.name for image in site.holiday.images}
    page.wait_for_function(
        "ns => [...document.querySelectorAll('#grid .tile img')].every(i => ns.includes(i.alt))",
        arg=sorted(names),
    )
    assert len(tiles(page)) <= len(site.holiday.images)
    # Dates: everything in the collection but the holiday folder is from today.
    page.click("#filters button[type=reset]")
    page.wait_for_function("() => new URLSearchParams(location.search).get('under') === null")
    page.goto(f"{site.url}?q=circle&confidence=0")
    tiles(page, 40)
    before = page.locator("#filters input[name=before]")
    before.fill("2020-01-01")
    before.dispatch_event("change")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('before') === '2020-01-01'"
    )
    page.wait_for_function(
        "ns => { const t = [...document.querySelectorAll('#grid .tile img')];"
        " return t.length > 0 && t.every(i => ns.includes(i.alt)); }",
        arg=sorted(names),
    )
    assert shown


def test_detail_view_keys_and_caption_edit(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    search(page, "blue star")
    shown = tiles(page, 10)
    page.click("#grid .tile >> nth=0")
    dialog = page.locator("#detail")
    dialog.wait_for(state="visible")
    first_path = site.record(shown[0]["id"])["path"]
    page.wait_for_function(
        "p => document.querySelector('#detail-path').textContent === p", arg=first_path
    )
    page.keyboard.press("ArrowRight")
    second_path = site.record(shown[1]["id"])["path"]
    page.wait_for_function(
        "p => document.querySelector('#detail-path').textContent === p", arg=second_path
    )
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "p => document.querySelector('#detail-path').textContent === p", arg=first_path
    )
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('File')"
    )
    # The time the API gives (ISO 8601 with the offset) is shown in the reader's zone.
    taken = page.evaluate(
        "s => new Date(s * 1000).toLocaleString()", int(Path(first_path).stat().st_mtime)
    )
    assert f"Taken{taken}" in page.inner_text("#detail-facts").replace("\n", "").replace("\t", "")
    page.fill("#annotate input[name=caption]", "quokkaword picnic")
    page.fill("#annotate input[name=tags]", "sunny, outdoors")
    page.click("#annotate button[type=submit]")
    page.wait_for_function("() => document.querySelector('#annotate-note').textContent === 'Saved'")
    assert site.record(shown[0]["id"])["caption"] == "quokkaword picnic"
    assert site.record(shown[0]["id"])["tags"] == ["sunny", "outdoors"]
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    # The caption's word finds the image first with the default weights: the words win,
    # and the detail says where they were found.
    page.goto(f"{site.url}?q=quokkaword")
    assert tiles(page)[0]["id"] == shown[0]["id"]
    page.click("#grid .tile >> nth=0")
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('Words found in')"
    )
    assert "Words found in\ncaption" in page.inner_text("#detail-facts")


def test_a_late_answer_for_the_image_shown_does_not_wipe_what_was_typed(
    open_page: Any, site: Site
) -> None:
    """Away and back to an image while its first answer is slow: that answer, arriving
    last, must not overwrite the caption typed meanwhile (a CI run caught it doing so)."""
    page = open_page(site)
    page.goto(f"{site.url}?q=red+circle")
    shown = tiles(page, 3)
    record_url = f"/v1/images/{shown[0]['id']}"
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if not held:
            held.append(route)  # answered later, after the newer request
        else:
            route.continue_()

    page.route(lambda url: url.endswith(record_url), hold_the_first)
    page.click("#grid .tile >> nth=0")
    page.locator("#detail").wait_for(state="visible")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('File')"
    )
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "p => document.querySelector('#detail-path').textContent === p",
        arg=site.record(shown[0]["id"])["path"],
    )
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('File')"
    )
    page.fill("#annotate input[name=caption]", "wombatword")
    assert len(held) == 1
    with page.expect_response(lambda response: response.url.endswith(record_url)):
        held[0].continue_()
    page.wait_for_timeout(200)  # the page's handler of that answer has run
    assert page.input_value("#annotate input[name=caption]") == "wombatword"
    page.click("#annotate button[type=submit]")
    page.wait_for_function("() => document.querySelector('#annotate-note').textContent === 'Saved'")
    assert site.record(shown[0]["id"])["caption"] == "wombatword"
    page.unroute("**/*")


def test_similar_searches_by_the_image(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=green+triangle")
    shown = tiles(page, 5)
    page.click("#grid .tile >> nth=2")
    page.click("#detail-similar")
    page.wait_for_function("() => new URLSearchParams(location.search).get('similar') !== null")
    assert query_of(page)["similar"] == [str(shown[2]["id"])]
    page.wait_for_function(
        "id => document.querySelector('#grid .tile')?.dataset.id === String(id)",
        arg=shown[2]["id"],
    )
    assert "similar to image" in page.locator("#chips").inner_text()


def test_back_and_forward_restore_searches(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    search(page, "red circle")
    red = [t["id"] for t in tiles(page, 10)]
    search(page, "blue star")
    blue = [t["id"] for t in tiles(page, 10)]
    assert red[:10] != blue[:10]
    page.go_back()
    page.wait_for_function("() => document.querySelector('#q').value === 'red circle'")
    page.wait_for_function(
        "id => document.querySelector('#grid .tile')?.dataset.id === String(id)", arg=red[0]
    )
    assert [t["id"] for t in tiles(page, 10)][:10] == red[:10]
    page.go_forward()
    page.wait_for_function("() => document.querySelector('#q').value === 'blue star'")
    page.reload()
    assert [t["id"] for t in tiles(page, 10)][:10] == blue[:10]


def test_collection_strings_are_shown_as_text_and_run_nothing(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=xssmarker&metadata_weight=1")
    first = tiles(page)[0]
    assert first["name"] == XSS_NAME
    page.click("#grid .tile >> nth=0")
    page.wait_for_function(
        "() => document.querySelector('#detail-facts').textContent.includes('Caption')"
    )
    assert page.locator("#detail-path").inner_text() == str(site.xss_path)
    facts = page.locator("#detail-facts").inner_text()
    assert XSS_CAPTION in facts and "<b>bold</b>" in facts
    assert page.locator("#detail-facts script, #detail-facts img, #detail-facts b").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert not page.watch.dialogs
    # The markup's own URLs were never requested (they would be, had it become HTML).
    assert not [u for u in page.watch.requests if re.search(r"/(x|y)$", u)]


def test_a_key_is_asked_for_kept_for_the_session_and_never_put_in_a_url(
    open_page: Any, keyed_site: Site
) -> None:
    page = open_page(keyed_site, allow=("401",))
    page.goto(keyed_site.url)
    page.locator("#key").wait_for(state="visible")
    assert page.inner_text("#key-prompt") == "This server needs an API key."
    page.fill("#key input[name=key]", "mistyped")  # refused: asked again, saying so
    page.click("#key button[type=submit]")
    page.wait_for_function(
        "() => /rejected that API key/.test(document.querySelector('#key-prompt').textContent)"
    )
    page.locator("#key").wait_for(state="visible")
    page.fill("#key input[name=key]", API_KEY)
    page.click("#key button[type=submit]")
    page.wait_for_function(
        "() => /items, newest first/.test(document.querySelector('#message').textContent)"
    )
    search(page, "red circle")
    tiles(page, 10)
    wait_for_thumbnails(page, 10)
    sources = page.eval_on_selector_all("#grid .tile img", "is => is.map(i => i.src)")
    assert all(source.startswith("blob:") for source in sources[:10])
    assert not [u for u in page.watch.requests if API_KEY in u]
    assert page.evaluate("() => sessionStorage.getItem('imgsearch.key')") == API_KEY
    # A wrong key (say, one rotated on the server) is asked for again.
    page.evaluate("() => sessionStorage.setItem('imgsearch.key', 'stale')")
    page.reload()
    page.locator("#key").wait_for(state="visible")
    assert "rejected that API key" in page.inner_text("#key-prompt")
    page.fill("#key input[name=key]", API_KEY)
    page.click("#key button[type=submit]")
    page.wait_for_function(
        "() => document.querySelectorAll('#grid .tile').length >= 10", timeout=15_000
    )


def test_a_phone_width_screen_shows_the_grid(open_page: Any, site: Site) -> None:
    page = open_page(site, width=375, height=740)
    page.goto(f"{site.url}?q=yellow+square")
    tiles(page, 6)
    wait_for_thumbnails(page, 4)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    boxes = [page.locator("#grid .tile").nth(i).bounding_box() for i in range(4)]
    assert boxes[0]["y"] == boxes[1]["y"]  # at least two columns
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 375 for box in boxes)


def first_row(page: Any) -> int:
    """How many tiles the grid's first row holds (rows of pictures of every shape)."""
    count: int = page.evaluate(
        "() => { const ts = [...document.querySelectorAll('#grid .tile')];"
        " const top = ts[0].getBoundingClientRect().top;"
        " return ts.filter(t => Math.abs(t.getBoundingClientRect().top - top) < 2).length; }"
    )
    return count


def test_a_4k_screen_fills_with_results_without_scrolling(open_page: Any, site: Site) -> None:
    page = open_page(site, width=3840, height=2160)
    page.goto(f"{site.url}?q=circle&confidence=0")
    # A page of 40 hits is two rows here: more pages load, unasked, until the screen is full.
    shown = tiles(page, 81)
    assert page.evaluate("() => window.scrollY") == 0
    assert len({t["id"] for t in shown}) == len(shown)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    columns = first_row(page)
    assert columns >= 15
    wait_for_thumbnails(page, columns)
    # Thumbnails are at least as large as the tiles show them: sharp, not stretched.
    sharp = page.evaluate(
        "n => [...document.querySelectorAll('#grid .tile img')].slice(0, n)"
        ".every(i => Math.max(i.naturalWidth, i.naturalHeight) >= Math.min(i.clientWidth, i.clientHeight))",
        columns,
    )
    assert sharp


def test_the_page_reads_every_readme_query_as_the_command_line_does(
    open_page: Any, site: Site
) -> None:
    """The page sends what was typed (``q``) and shows the parts the server read, so its
    chips are the library's parse; a chip edited writes an expression that reads back
    into the edited parts (query.js's formatExpression, held to the grammar here)."""
    page = open_page(site, allow=("status of 400",))  # the image path refused at the end
    page.goto(f"{site.url}?confidence=0")
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data_json) if r.url.endswith("/v1/search") else None,
    )
    typed = [q for q in readme_queries() if not any(t.image for t in parse_terms(q))]
    typed += ['"salt + pepper" - 0.5:blue', "- square + 2:red circle", 't-shirt + "well-known"']
    for text in typed:
        search(page, text)
        assert sent[-1]["q"] == text.strip()
        expected = [(t.term, t.weight) for t in parse_terms(text)]
        page.wait_for_function(
            "n => document.querySelectorAll('#chips .chip').length === n", arg=len(expected)
        )
        chips = page.eval_on_selector_all(
            "#chips .chip",
            "cs => cs.map(c => [c.querySelector('span').textContent,"
            " Number(c.querySelector('input').value), c.classList.contains('negative')])",
        )
        assert [(name, weight) for name, weight, _ in chips] == expected, text
        assert [negative for *_, negative in chips] == [w < 0 for _, w in expected]
        terms = [{"term": t.term, "weight": t.weight, "image": t.image} for t in parse_terms(text)]
        written = page.evaluate(
            "async ts => (await import('/static/js/query.js')).formatExpression(ts)", terms
        )
        assert parse_terms(written) == parse_terms(text), (text, written)
    # Odd texts too (signs, colons, quotes' neighbours), written by the page, read by the library.
    rng = random.Random(35)
    lists = []
    for _ in range(300):
        terms = []
        for _ in range(rng.randint(1, 4)):
            word = "".join(rng.choice("ab19:.-+ /") for _ in range(rng.randint(1, 8))).strip()
            image = rng.random() < 0.2
            term = f"{word or 'x'}.png" if image else word
            if term and image == (Path(term).suffix == ".png"):  # "/.png": a name, no extension
                weight = rng.choice([1, 2, 0.5, 0.25]) * rng.choice([1, -1])
                terms.append({"term": term, "weight": weight, "image": image})
        if terms:
            lists.append(terms)
    written = page.evaluate(
        "async ls => { const q = await import('/static/js/query.js');"
        " return ls.map(ts => q.formatExpression(ts)); }",
        lists,
    )
    for terms, expression in zip(lists, written, strict=True):
        assert [(t.term, t.weight, t.image) for t in parse_terms(expression)] == [
            (t["term"], t["weight"], t["image"]) for t in terms
        ], expression
    # An image path typed into the box is refused with the server's reason (the page and
    # the server read no local files); the command line would have read it.
    page.fill("#q", "red circle + ./pool.jpg")
    page.press("#q", "Enter")
    page.wait_for_function(
        "() => /image path/.test(document.querySelector('#message').textContent)"
    )


def _source_with(site: Site, name: str) -> Any:
    """A generated image holding a ``name`` object and some other object."""
    return next(
        image
        for image in site.shapes.images[1:]  # [0] has a copy: the XSS-named file
        if len(image.objects) >= 2
        and any(o.name == name for o in image.objects)
        and not all(o.name == name for o in image.objects)
    )


def _drag_box(page: Any, selector: str, image: Any, box: tuple[float, float, float, float]) -> None:
    """Drag the mouse over ``box`` (pixels of ``image``) on the <img> at ``selector``."""
    rect = page.locator(selector).bounding_box()
    scale_x, scale_y = rect["width"] / image.width, rect["height"] / image.height
    x, y, w, h = box
    page.mouse.move(rect["x"] + x * scale_x, rect["y"] + y * scale_y)
    page.mouse.down()
    page.mouse.move(rect["x"] + (x + w) * scale_x, rect["y"] + (y + h) * scale_y, steps=8)
    page.mouse.up()


def _box_in_url(page: Any) -> list[float]:
    page.wait_for_function("() => new URLSearchParams(location.search).get('box') !== null")
    return [float(v) for v in query_of(page)["box"][0].split(",")]


def _wait_box_change(page: Any, previous: list[float]) -> None:
    page.wait_for_function(
        "p => new URLSearchParams(location.search).get('box') !== p",
        arg=",".join(f"{v:g}" for v in previous),
    )


def _hits_without(page: Any, site: Site, source: Any, count: int = 10) -> list[Any]:
    by_name = site.by_name()
    labels = [by_name[t["name"]] for t in tiles(page, count + 1)]
    return [image for image in labels if image.path != source.path][:count]


def test_an_uploaded_image_with_a_drawn_box_finds_that_object(open_page: Any, site: Site) -> None:
    source = _source_with(site, "blue star")
    star = next(o for o in source.objects if o.name == "blue star")
    page = open_page(site)
    page.goto(site.url)
    page.set_input_files("#file", str(source.path))
    page.wait_for_function("() => new URLSearchParams(location.search).get('upload') !== null")
    page.wait_for_function("() => document.querySelector('#query-img').naturalWidth > 0")
    assert "similar to your image" in page.locator("#chips").inner_text()
    tiles(page, 10)
    _drag_box(page, "#query-img", source, star.box)
    drawn = _box_in_url(page)
    expected = [star.box[0] / source.width, star.box[1] / source.height,
                star.box[2] / source.width, star.box[3] / source.height]  # fmt: skip
    assert all(abs(a - b) < 0.02 for a, b in zip(drawn, expected, strict=True)), (drawn, expected)
    assert "region of your image" in page.locator("#chips").inner_text()
    others = _hits_without(page, site, source)
    assert sum(image.contains("blue star") for image in others) >= 8, [i.caption for i in others]
    page.screenshot(path=str(Path("build/test-artifacts/browser/region-search.png")))

    # Move the box by dragging inside it; resize it by its corner; nudge it with a key.
    box = page.locator("#query-frame .box").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 10, box["y"] + box["height"] / 2 + 6, steps=4)
    page.mouse.up()
    _wait_box_change(page, drawn)
    moved = _box_in_url(page)
    assert moved[0] < drawn[0] and moved[1] > drawn[1] and moved[2:] == drawn[2:]
    handle = page.locator("#query-frame .handle.se").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 20, handle["y"] + 12, steps=4)
    page.mouse.up()
    _wait_box_change(page, moved)
    resized = _box_in_url(page)
    assert resized[:2] == moved[:2] and resized[2] > moved[2] and resized[3] > moved[3]
    page.focus("#query-frame .box")
    page.keyboard.press("ArrowRight")
    _wait_box_change(page, resized)
    assert abs(_box_in_url(page)[0] - (resized[0] + 0.01)) < 1e-6
    # A reload keeps the uploaded image (this tab's session) and its box.
    page.reload()
    page.wait_for_function("() => document.querySelector('#query-img').naturalWidth > 0")
    tiles(page, 10)
    page.click("#box-clear")
    page.wait_for_function("() => new URLSearchParams(location.search).get('box') === null")
    page.click("#image-remove")
    page.wait_for_function("() => new URLSearchParams(location.search).get('upload') === null")
    assert page.locator("#query-image").is_hidden()


def test_a_dropped_or_pasted_image_is_searched_by(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    by_name = site.by_name()
    for event, source in (("drop", site.shapes.images[3]), ("paste", site.shapes.images[4])):
        previous = query_of(page).get("upload")
        transfer = page.evaluate_handle(
            "async ([b64, name]) => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));"
            " const transfer = new DataTransfer();"
            " transfer.items.add(new File([bytes], name, {type: 'image/png'})); return transfer; }",
            [__import__("base64").b64encode(source.path.read_bytes()).decode(), source.path.name],
        )
        if event == "drop":
            page.dispatch_event("body", "drop", {"dataTransfer": transfer})
        else:
            page.evaluate(
                "t => document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: t}))",
                transfer,
            )
        page.wait_for_function(
            "p => { const u = new URLSearchParams(location.search).get('upload');"
            " return u !== null && u !== p; }",
            arg=previous[0] if previous else None,
        )
        first = tiles(page)[0]
        assert by_name[first["name"]].path.read_bytes() == source.path.read_bytes(), event


def test_a_box_drawn_in_the_detail_view_starts_a_region_search(open_page: Any, site: Site) -> None:
    source = _source_with(site, "red circle")
    circle = next(o for o in source.objects if o.name == "red circle")
    page = open_page(site)
    page.goto(f"{site.url}?q=red+circle")
    shown = tiles(page, 10)
    position = next((i for i, t in enumerate(shown) if t["name"] == source.path.name), None)
    if position is None:  # reach it through its own similar search instead
        page.goto(f"{site.url}?q=red+circle&under={source.path.parent}")
        shown = tiles(page)
        position = next(i for i, t in enumerate(shown) if t["name"] == source.path.name)
    page.click(f"#grid .tile >> nth={position}")
    page.wait_for_function("() => document.querySelector('#detail-image').naturalWidth > 0")
    _drag_box(page, "#detail-image", source, circle.box)
    page.locator("#detail").wait_for(state="hidden")
    _box_in_url(page)
    similar = query_of(page)["similar"][0]
    assert site.record(int(similar))["path"] == str(source.path)
    others = _hits_without(page, site, source)
    assert sum(image.contains("red circle") for image in others) >= 7, [i.caption for i in others]
    # Text joins the image in one query.
    search(page, "- square")
    assert page.locator("#chips .chip").count() == 2
    assert query_of(page)["similar"] == [similar] and query_of(page)["q"] == ["- square"]
    with_text = _hits_without(page, site, source)
    assert not any(image.contains("square") for image in with_text), [i.caption for i in with_text]


def test_the_index_panel_runs_an_index_and_new_images_appear(
    fresh_site: Site, open_page: Any
) -> None:
    page = open_page(fresh_site)
    page.goto(f"{fresh_site.url}?q=circle")
    assert len(tiles(page, 20)) == 20
    page.click("#toggle-status")
    page.wait_for_function("() => document.querySelector('#status dl')?.textContent.includes('20')")
    assert "demo-shapes" in page.locator("#status").inner_text()
    later = generate_collection(fresh_site.root / "later", 5, seed=77)
    (fresh_site.root / "later" / "<b>broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    page.click("#index-now")
    page.wait_for_function(
        "() => /Done: .*added 5/.test(document.querySelector('#index-progress').textContent)"
    )
    # The search on screen is run again and shows the new images.
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length === 25")
    names = {t["name"] for t in tiles(page, 25)}
    assert {image.path.name for image in later.images} <= names
    page.wait_for_function("() => document.querySelector('#failures') !== null")
    page.click("#failures summary")
    page.wait_for_function("() => document.querySelectorAll('#failures li').length === 1")
    failure = page.locator("#failures li").inner_text()
    assert "<b>broken.jpg" in failure and page.locator("#failures li b").count() == 0


def test_progress_reads_count_rate_and_time_left(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(site.url)
    text = page.evaluate(
        "async () => (await import('/static/js/status.js')).progressText("
        "{done: 50, total: 200, started_at: 1000}, 1010)"
    )
    assert text == "50 of 200 · 5.0 images/s · about 30 s left"
    # files unchanged since the last run are counted first, in a burst: the rate is over
    # the files read, from the first of them
    burst = page.evaluate(
        "async () => { const { progressText } = await import('/static/js/status.js');"
        " return [progressText({done: 950, quick: 900, total: 1000, started_at: 1000,"
        " working_since: 1005}, 1015), progressText({done: 900, quick: 900, total: 1000,"
        " started_at: 1000, working_since: null}, 1001)]; }"
    )
    assert burst == [
        "950 of 1,000 · 5.0 images/s · about 10 s left",
        "900 of 1,000 · 900 unchanged",
    ]


def test_the_last_run_reads_running_while_the_servers_run_is_going(
    open_page: Any, site: Site
) -> None:
    page = open_page(site)
    page.goto(site.url)
    said = page.evaluate(
        "async () => { const { StatusPanel } = await import('/static/js/status.js');"
        " const panel = new StatusPanel({onIndexed() {}, onProgress() {}, onError() {}});"
        " panel.follow = () => {};"
        " const status = (state) => ({images: 3, vectors: 3, failures: 0, model: 'm', dim: 8,"
        "  index: 'i', vector_index: 'exact', job: {state, done: 1, total: 3},"
        "  last_run: {started_at: '2026-01-01T00:00:00+00:00', completed: false, roots: ['/p']}});"
        " panel.render(status('running')); const running = panel.panel.textContent;"
        " panel.render(status('idle')); return [running, panel.panel.textContent]; }"
    )
    assert "running now" in said[0] and "interrupted" not in said[0]
    assert "interrupted" in said[1]


def test_new_images_join_results_scrolled_past_the_first_page(
    fresh_site: Site, open_page: Any
) -> None:
    page = open_page(fresh_site, width=1440, height=900)
    page.goto(f"{fresh_site.url}?q=circle&confidence=0")
    assert len(tiles(page, 20)) == 20
    page.click("#toggle-status")
    page.wait_for_selector("#index-now")
    generate_collection(fresh_site.root / "more", 30, seed=78)
    page.click("#index-now")
    page.wait_for_function(
        "() => /Done: .*added 30/.test(document.querySelector('#index-progress').textContent)"
    )
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length >= 40")
    page.mouse.wheel(0, 20_000)  # past the first page (40): the rest loads
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length === 50")
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 0
    before = [t["id"] for t in tiles(page, 50)]
    later = generate_collection(fresh_site.root / "later", 5, seed=79)
    page.evaluate("() => document.querySelector('#index-now').click()")  # the user stays down
    page.wait_for_function(
        "() => /Done: .*added 5/.test(document.querySelector('#index-progress').textContent)"
    )
    # the 50 loaded hits are asked again and merged in place: new images among them where
    # they rank, the user's scroll position kept
    page.wait_for_function(
        "before => [...document.querySelectorAll('#grid .tile')].map(t => Number(t.dataset.id))"
        ".some((id, i) => id !== before[i])",
        arg=before,
    )
    assert page.evaluate("() => window.scrollY") == scrolled
    page.mouse.wheel(0, 20_000)  # and the rest load as the user goes on
    names = {t["name"] for t in tiles(page, 55)}
    assert {image.path.name for image in later.images} <= names


def test_matched_boxes_on_tiles_and_every_region_in_the_detail_view(
    open_page: Any, annotated_site: Site
) -> None:
    site = annotated_site
    counts = Counter(o.name for i in site.shapes.images for o in i.objects)
    label = counts.most_common(1)[0][0]
    page = open_page(site)
    page.goto(f"{site.url}?q={quote_plus(label)}&labels={quote_plus(label)}")
    shown = tiles(page)
    holders = {str(i.path) for i in site.shapes.images if any(o.name == label for o in i.objects)}
    by_name = {i.path.name: i for i in site.shapes.images}
    assert {str(by_name[t["name"]].path) for t in shown} == holders
    assert page.locator("#grid .tile .region-mark").count() == len(shown)
    wait_for_thumbnails(page, 1)
    # The mark sits where the box is on the picture.
    image = by_name[shown[0]["name"]]
    boxes = page.evaluate(
        "() => { const t = document.querySelector('#grid .tile');"
        " const r = (e) => e.getBoundingClientRect();"
        " const i = r(t.querySelector('img')), m = r(t.querySelector('.region-mark'));"
        " return [(m.left - i.left) / i.width, (m.top - i.top) / i.height, m.width / i.width, m.height / i.height]; }"
    )
    candidates = [o.box for o in image.objects if o.name == label]
    assert any(
        all(
            abs(got - want) < 0.03
            for got, want in zip(
                boxes,
                (x / image.width, y / image.height, w / image.width, h / image.height),
                strict=True,
            )
        )
        for x, y, w, h in candidates
    ), (boxes, candidates)
    assert f"matched: {label}" in (page.locator("#grid .tile").first.get_attribute("title") or "")

    page.locator("#grid .tile").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('#detail-frame .region-outline').length > 0"
    )
    labels = page.eval_on_selector_all(
        "#detail-frame .region-label", "els => els.map(e => e.textContent)"
    )
    assert sorted(labels) == sorted(o.name for o in image.objects)
    assert page.locator("#detail-frame .region-outline.matched").count() == 1
    page.keyboard.press("Escape")

    # One result per box: the filter's checkbox, kept in the URL.
    assert page.is_visible("#filters")  # open: the search has a filter (the label)
    page.check("#filters input[name=objects]")
    page.wait_for_function("() => new URLSearchParams(location.search).get('objects') === '1'")
    objects = tiles(page)
    expected = counts[label]
    assert len(objects) == expected
    # Each box is its own tile, showing the crop of that box, named by its label.
    shown_labels = page.eval_on_selector_all(
        "#grid .tile .object-label", "els => els.map(e => e.textContent)"
    )
    assert shown_labels == [label] * expected
    assert page.locator("#grid .tile .region-mark").count() == 0
    wait_for_thumbnails(page, min(expected, 4))
    crops = page.eval_on_selector_all(
        "#grid .tile img", "els => els.slice(0, 4).map(e => [e.naturalWidth, e.naturalHeight])"
    )
    # Crops: a box around one shape (roughly square, under 250 px: the objects are at most
    # 165 px), not a whole picture's 256-px thumbnail.
    assert all(0 < max(w, h) < 250 and 0.6 < w / h < 1.6 for w, h in crops), crops


def test_a_video_hit_shows_its_moment_and_plays_from_it(open_page: Any, video_site: Site) -> None:
    page = open_page(video_site)
    page.goto(f"{video_site.url}?q=red+star")
    names = [tile["name"] for tile in tiles(page)]
    # among the red-star pictures (the file's name holds "star", not "red star": no words)
    assert "star.webm" in names[:3], names
    first = page.locator("#grid .tile").nth(names.index("star.webm"))
    assert "video" in (first.get_attribute("class") or "")
    badge = first.locator(".moment").text_content() or ""
    assert badge.startswith("▶ 00:0") and "–" in badge  # ▶ 00:03.0–00:06.0
    wait_for_thumbnails(page, names.index("star.webm") + 1)
    src = first.locator("img").get_attribute("src") or ""
    assert "/v1/videos/" in src and "t=" in src  # the segment's best frame, not a poster

    first.click()
    page.wait_for_selector("#detail-moments button")
    assert page.is_visible("#detail-play") and not page.is_visible("#detail-hint")
    times = [float(t) for t in page.eval_on_selector_all(
        "#detail-moments button", "bs => bs.map(b => b.dataset.time)"
    )]  # fmt: skip
    assert times and all(3.0 <= t < 6.0 for t in times), times
    assert page.locator("#detail-moments button.best").count() == 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('#detail-moments img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.click("#detail-play")
    page.wait_for_function(
        "() => { const v = document.querySelector('#detail-video');"
        " return !v.hidden && v.readyState >= 1 && v.currentTime >= 2.9; }"
    )
    assert not page.is_visible("#detail-frame")
    # a later moment seeks there
    page.locator("#detail-moments button").last.click()
    page.wait_for_function(
        "t => document.querySelector('#detail-video').currentTime >= t - 0.05", arg=times[-1]
    )
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#detail').open")
    page.wait_for_function("() => document.querySelector('#detail-video').paused")
    assert not page.evaluate("() => document.querySelector('#detail-video').getAttribute('src')")
    # Only videos: the filter, kept in the URL.
    page.click("#toggle-filters")
    page.select_option("#filters select[name=media]", "video")
    page.wait_for_function("() => new URLSearchParams(location.search).get('media') === 'video'")
    names = {t["name"] for t in tiles(page)}
    assert names == {"star.webm", "circle.webm", "empty.webm"}, names


def _api_hits(site: Site, text: str, cut: float | str | None) -> list[int]:
    body: dict[str, Any] = {"parts": [{"text": text}], "top": 200}
    if cut is not None:
        body["min_confidence"] = cut
    answer = httpx.post(
        f"{site.url}v1/search", json=body, headers={"Ocp-Apim-Subscription-Key": API_KEY},
        timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    return [hit["id"] for hit in answer.json()["hits"]]


def _shows(page: Any, ids: list[int]) -> None:
    """Wait until the grid's first tiles are ``ids`` (its first page of them)."""
    page.wait_for_function(
        "ids => { const t = [...document.querySelectorAll('#grid .tile')]"
        ".map(t => Number(t.dataset.id)).slice(0, ids.length);"
        " return !document.querySelector('#grid').hasAttribute('aria-busy')"
        " && t.length === ids.length && t.every((id, i) => id === ids[i]); }",
        arg=ids[:40],
    )


def test_the_confidence_slider_cuts_at_auto_by_default(open_page: Any, site: Site) -> None:
    page = open_page(site)
    auto = _api_hits(site, "red circle", "auto")
    strict = _api_hits(site, "red circle", 0.95)
    everything = _api_hits(site, "red circle", None)
    assert 0 < len(strict) < len(auto) < len(everything)  # the cut matters for this query
    page.goto(f"{site.url}?q=red+circle")
    _shows(page, auto)
    page.wait_for_function(
        "() => /likely real matches/.test(document.querySelector('#message').textContent)"
    )
    page.click("#toggle-filters")
    assert page.inner_text("#confidence-shown") == "0.50 (auto)"
    slider = page.locator("#filters input[name=confidence]")
    slider.fill("0.95")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('confidence') === '0.95'"
    )
    _shows(page, strict)
    assert page.inner_text("#confidence-shown") == "0.95"
    slider.fill("0")
    page.wait_for_function("() => new URLSearchParams(location.search).get('confidence') === '0'")
    _shows(page, everything)
    assert page.inner_text("#confidence-shown") == "off"
    assert "likely" not in page.inner_text("#message")
    # back to the default; what the cut left out is one click away
    page.goto(f"{site.url}?q=red+circle&confidence=0.95")
    _shows(page, strict)
    for _ in range(50):  # scroll to the end of the confident hits
        if page.locator("#message button").count():
            break
        page.mouse.wheel(0, 2_000)
        page.wait_for_timeout(50)
    page.click("#message button")
    page.wait_for_function("() => new URLSearchParams(location.search).get('confidence') === '0'")
    _shows(page, everything)


def test_the_grid_is_one_tab_stop_walked_with_arrow_keys(open_page: Any, site: Site) -> None:
    page = open_page(site, width=1280, height=900)
    page.goto(f"{site.url}?q=circle&confidence=0")
    shown = tiles(page, 40)
    columns = first_row(page)
    assert columns > 2
    boxes = page.eval_on_selector_all(
        "#grid .tile",
        "ts => ts.map(t => { const r = t.getBoundingClientRect();"
        " return [r.top, r.left + r.width / 2]; })",
    )
    second_row = [n for n, (top, _) in enumerate(boxes) if abs(top - boxes[columns][0]) < 2]
    # ↓ from the second tile: the tile of the next row whose middle is nearest its own
    below = min(second_row, key=lambda n: (abs(boxes[n][1] - boxes[1][1]), n))
    left = below - 1  # ← from there; ↑ then goes to the first row (or stays, if in it)
    above_left = (
        left
        if left < columns
        else min(range(columns), key=lambda n: (abs(boxes[n][1] - boxes[left][1]), n))
    )

    def focused() -> int:
        return int(
            page.evaluate(
                "() => [...document.querySelectorAll('#grid .tile')].indexOf(document.activeElement)"
            )
        )

    page.focus("#grid .tile >> nth=0")
    for key, where in (
        ("ArrowRight", 1), ("ArrowDown", below), ("ArrowLeft", left),
        ("ArrowUp", above_left), ("Home", 0), ("ArrowLeft", 0), ("PageDown", None), ("Home", 0),
    ):  # fmt: skip
        page.keyboard.press(key)
        if where is not None:
            assert focused() == where, key
    assert focused() == 0
    loaded = page.locator("#grid .tile").count()
    page.keyboard.press("End")
    assert focused() == loaded - 1
    page.keyboard.press("Home")
    stops = (
        "() => [...document.querySelectorAll('#grid .tile')].filter(t => t.tabIndex === 0).length"
    )
    assert page.evaluate(stops) == 1  # one tab stop for the whole grid
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    assert focused() == -1  # Tab leaves the grid at once …
    page.keyboard.press("Shift+Tab")
    assert focused() == 1  # … and comes back to the tile it left
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(  # the keyboard is in the viewer
        "() => document.querySelector('#detail').contains(document.activeElement)"
    )
    for expected in (shown[2], shown[3]):  # the viewer moves on to the next picture …
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "id => new URLSearchParams(location.search).get('open') === id", arg=str(expected["id"])
        )
    page.keyboard.press("Escape")
    page.locator("#detail").wait_for(state="hidden")
    # … and closing it leaves the keyboard on that picture's tile (the dialog first hands
    # focus back to the tile that opened it; the page then moves it on, a task later)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#grid .tile')].indexOf(document.activeElement) === 3"
    )
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="visible")
    page.click("#detail-similar")  # a search from the viewer: the keyboard goes on from
    page.wait_for_function("() => new URLSearchParams(location.search).has('similar')")
    page.wait_for_function(  # the new results' first tile
        "() => document.activeElement === document.querySelector('#grid .tile')"
    )


def test_the_viewer_is_in_the_url_and_back_closes_it_without_searching_again(
    open_page: Any, site: Site
) -> None:
    page = open_page(site, width=1280, height=900)
    page.goto(f"{site.url}?q=circle&confidence=0")
    shown = tiles(page, 40)
    page.mouse.wheel(0, 600)
    page.wait_for_function("() => window.scrollY > 0")
    scrolled = page.evaluate("() => window.scrollY")
    # a search again would put new tiles in the grid: this mark on the first one would go
    page.evaluate("() => { document.querySelector('#grid .tile').dataset.kept = 'yes'; }")
    page.click("#grid .tile >> nth=12")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('open') === '{shown[12]['id']}'"
    )
    page.keyboard.press("ArrowRight")  # moving on names the next picture, on the same entry
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('open') === '{shown[13]['id']}'"
    )
    page.go_back()  # Back closes the viewer: the results, and where they were scrolled, stay
    page.locator("#detail").wait_for(state="hidden")
    assert "open=" not in page.url and "q=circle" in page.url
    # (at most moved to show the focused tile whole, never back to the top)
    assert abs(page.evaluate("() => window.scrollY") - scrolled) < 150
    assert page.locator("#grid .tile").count() >= 40
    page.go_forward()  # and Forward opens it again
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(
        "name => document.querySelector('#detail-path').textContent.endsWith(name)",
        arg=site.record(shown[13]["id"])["path"].rsplit("/", 1)[1],
    )
    page.keyboard.press("Escape")  # closed by hand: its entry goes too
    page.locator("#detail").wait_for(state="hidden")
    page.wait_for_function("() => !location.search.includes('open=')")
    kept = "() => document.querySelector('#grid .tile').dataset.kept"
    assert page.evaluate(kept) == "yes"  # the results were not searched for again
    # a shared link to a picture opens the viewer on it, even where no result shows it
    other = site.record(shown[30]["id"])
    page.goto(f"{site.url}?q=zzz&open={other['id']}")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function(
        "path => document.querySelector('#detail-path').textContent === path", arg=other["path"]
    )


def test_on_a_phone_filters_wait_to_be_opened_and_controls_fit_a_finger(
    browser: Any, open_page: Any, site: Site
) -> None:
    query = f"{site.url}?q=red+circle&confidence=0&formats=jpeg"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.goto(query)
        tiles(phone, 1)
        assert phone.locator("#filters").is_hidden()  # not over the results by itself …
        assert phone.get_attribute("#toggle-menu", "data-count") == "2"  # … but counted
        assert phone.locator("header").bounding_box()["height"] <= 64  # one row
        assert phone.locator("#toggle-filters").is_hidden()  # behind ☰
        phone.tap("#toggle-menu")
        assert phone.inner_text("#toggle-filters") == "Filters (2)"
        phone.tap("#toggle-filters")
        assert phone.locator("#filters").is_visible()
        small = phone.evaluate(
            "() => [...document.querySelectorAll('button, .chip input, #filters input')]"
            ".filter(e => e.offsetParent && e.type !== 'checkbox' && e.type !== 'range')"
            ".map(e => [e.id || e.getAttribute('aria-label') || e.textContent.trim(),"
            " e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
            ".filter(([, w, h]) => w < 44 || h < 44)"
        )
        assert small == [], small
    finally:
        context.close()
    page = open_page(site)  # a wide screen with a mouse: the filters set are shown
    page.goto(query)
    tiles(page, 1)
    assert page.locator("#filters").is_visible()


def test_a_video_tiles_moment_covers_neither_its_score_nor_its_rank(
    open_page: Any, video_site: Site
) -> None:
    for width in (390, 1440):
        page = open_page(video_site, width=width, height=844)
        page.goto(f"{video_site.url}?q=red+circle&media=video&confidence=0")
        page.wait_for_selector("#grid .tile.video .moment")
        overlaps = page.evaluate(
            "() => [...document.querySelectorAll('#grid .tile.video')].flatMap(t => {"
            " const box = (s) => t.querySelector(s).getBoundingClientRect();"
            " const m = box('.moment');"
            " return ['.score', '.rank'].filter(s => { const o = box(s);"
            "  return m.left < o.right && o.left < m.right && m.top < o.bottom && o.top < m.bottom; });"
            "})"
        )
        assert overlaps == [], (width, overlaps)


def test_a_region_search_from_the_keyboard_alone(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=red+circle")
    shown = tiles(page, 5)
    page.focus("#grid .tile >> nth=0")
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#detail-image').naturalWidth > 0")
    page.focus("#detail-region")
    page.keyboard.press("Enter")  # a box in the middle, focused
    assert page.evaluate("() => document.activeElement.classList.contains('box')")
    for key in ["ArrowRight"] * 5 + ["Shift+ArrowDown"] * 3:
        page.keyboard.press(key)
    page.wait_for_timeout(700)  # longer than a pause: placing waits for Enter, no search yet
    assert page.locator("#detail").is_visible() and "box=" not in page.url
    label = page.get_attribute("#detail-frame .box", "aria-label") or ""
    assert "from 30%, 25%, 50% wide, 53% high" in label and "Enter searches it" in label
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="hidden")
    _box_in_url(page)
    assert query_of(page)["box"] == ["0.3,0.25,0.5,0.53"]
    assert query_of(page)["similar"] == [str(shown[0]["id"])]


def test_question_mark_lists_the_keys(open_page: Any, site: Site) -> None:
    page = open_page(site)
    page.goto(f"{site.url}?q=red+circle")
    tiles(page, 1)
    page.click("#q")
    page.keyboard.type("?")  # typed into the search box: a character, not the list
    assert page.locator("#shortcuts").is_hidden() and page.input_value("#q").endswith("?")
    page.focus("#grid .tile >> nth=0")
    page.keyboard.press("?")
    page.locator("#shortcuts").wait_for(state="visible")
    listed = page.inner_text("#shortcuts")
    assert "Region…" in listed and "PageDown" in listed and "Esc, Back" in listed
    page.keyboard.press("Escape")
    page.locator("#shortcuts").wait_for(state="hidden")


def swipe(page: Any, cdp: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A real finger on the touch screen (Chromium's touch events, as a phone sends them)."""
    steps = 6
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]},
    )
    for n in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * n / steps
        y = start[1] + (end[1] - start[1]) * n / steps
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_on_a_phone_a_swipe_moves_between_pictures_and_a_box_needs_region(
    phone: Any, site: Site
) -> None:
    phone.goto(f"{site.url}?q=red+circle&confidence=0")
    shown = tiles(phone, 3)
    phone.locator("#grid .tile").first.tap()
    phone.wait_for_selector("#detail-facts dd")
    assert query_of(phone)["open"] == [str(shown[0]["id"])]
    assert "Swipe" in phone.inner_text("#detail-hint")
    cdp = phone.context.new_cdp_session(phone)

    def across(leftwards: bool) -> None:
        phone.wait_for_function(
            "() => { const i = document.querySelector('#detail-image');"
            " return i.complete && i.naturalWidth > 0; }"
        )  # the picture is in: the frame has its size
        frame = phone.locator("#detail-frame").bounding_box()
        y = frame["y"] + frame["height"] / 2
        left, right = frame["x"] + frame["width"] * 0.15, frame["x"] + frame["width"] * 0.85
        swipe(
            phone,
            cdp,
            (right, y) if leftwards else (left, y),
            (left, y) if leftwards else (right, y),
        )

    across(leftwards=True)  # the next picture
    phone.wait_for_function(
        "id => new URLSearchParams(location.search).get('open') === id", arg=str(shown[1]["id"])
    )
    assert phone.locator("#detail").is_visible() and query_of(phone)["q"] == ["red circle"]
    assert "similar" not in query_of(phone)  # no stray box, no region search
    across(leftwards=False)  # back
    phone.wait_for_function(
        "id => new URLSearchParams(location.search).get('open') === id", arg=str(shown[0]["id"])
    )
    phone.wait_for_function(
        "() => { const i = document.querySelector('#detail-image');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    docs_screenshot(phone, "phone-viewer")
    phone.wait_for_timeout(500)  # a moment after the swipe: not a double tap
    phone.tap("#detail-region")  # the explicit mode: now a finger moves the box
    box = phone.locator("#detail-frame .box").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    swipe(phone, cdp, centre, (centre[0] - 30, centre[1] - 20))
    phone.wait_for_function("() => new URLSearchParams(location.search).has('box')")
    assert query_of(phone)["similar"] == [str(shown[0]["id"])]
    assert phone.locator("#detail").is_hidden()
