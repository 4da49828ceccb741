"""The web page and text read in pictures (OCR): the text filter, the line that matched
outlined on the tile and in the detail view, read text shown as text, never as HTML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

from imgsearch import Index
from imgsearch.store import TextSet, WriteBatch
from imgsearch.store.words import fold_text
from imgsearch.types import Box, TextLine
from tests.scaffold.words import WordPicture, generate_word_pictures
from tests.web.conftest import _stop, serve

pytestmark = pytest.mark.slow
MARKUP = '<img src=z onerror="window.__pwned=3">Sale'


@dataclass
class TextSite:
    url: str
    root: Path
    picture: WordPicture
    word: str
    """A word of ``picture`` found in what was read (folded: ``G1j0SI`` read for ``GIJOSI``)."""
    marked: int
    """The id of a picture whose read text is markup."""


@pytest.fixture(scope="module")
def text_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TextSite]:
    pytest.importorskip("rapidocr_onnxruntime")
    folder = tmp_path_factory.mktemp("text-site")
    root = folder / "collection"
    pictures = generate_word_pictures(root, 6, seed=3)
    with Index.open(folder / "index", model="demo-shapes") as opened:
        assert opened.update([root], read_text=True).text.with_text == 6
        first = opened.find(root / pictures[0].file)
        read = fold_text(
            " ".join(line.text for line in opened.store.texts.lines([first.id])[first.id])
        )
        word = max((w for w in pictures[0].words if fold_text(w) in read), key=len)
        record = opened.find(root / pictures[-1].file)
        markup = TextLine(MARKUP, Box(10.0, 10.0, 200.0, 40.0), 0.9)
        opened.store.write(WriteBatch(texts=[TextSet([markup], "test", record.digest, record.id)]))
    process, url = serve(folder / "index", root, folder / "serve.log")
    yield TextSite(url, root, pictures[0], word, record.id)
    _stop(process)


def test_the_text_filter_finds_the_picture_and_outlines_the_line(
    open_page: Any, text_site: TextSite
) -> None:
    picture, word = text_site.picture, text_site.word
    page = open_page(text_site)
    page.goto(f"{text_site.url}?q=sign")
    # demo-shapes never learned "sign": no picture is a likely match until the text filter
    page.wait_for_function(
        "() => /does not know the words “sign”/.test(document.querySelector('#message').textContent)"
    )
    assert page.locator("#grid .tile").count() == 0
    box = page.locator("#filters input[name=text]")
    page.click("#toggle-filters")
    box.fill(word.lower())
    box.dispatch_event("change")
    page.wait_for_function(
        "w => new URLSearchParams(location.search).get('text') === w", arg=word.lower()
    )
    page.wait_for_function(
        "n => { const t = document.querySelectorAll('#grid .tile');"
        " return t.length === 1 && t[0].querySelector('img').alt === n; }",
        arg=Path(picture.file).name,
    )
    tile = page.locator("#grid .tile").first
    assert tile.locator(".text-mark").count() == 1  # the line's box on the thumbnail
    assert fold_text(word) in fold_text(tile.get_attribute("title") or "")
    tile.click()
    page.locator("#detail").wait_for(state="visible")
    outline = page.locator("#detail-frame .text-outline")
    outline.wait_for(state="attached")
    label = outline.locator(".region-label").inner_text()
    assert fold_text(word) in fold_text(label)
    page.wait_for_function(
        "l => document.querySelector('#detail-facts').textContent.includes(l)"
        " && document.querySelector('#detail-facts').textContent.includes('Read text')",
        arg=label,
    )


def test_read_text_is_shown_as_text_never_as_html(open_page: Any, text_site: TextSite) -> None:
    page = open_page(text_site)
    page.goto(f"{text_site.url}?q=sale&text=sale&confidence=0")
    page.wait_for_function("() => document.querySelectorAll('#grid .tile').length === 1")
    assert page.locator("#grid .tile").first.get_attribute("data-id") == str(text_site.marked)
    assert MARKUP in (page.locator("#grid .tile").first.get_attribute("title") or "")
    page.click("#grid .tile >> nth=0")
    label = page.locator("#detail-frame .text-outline .region-label")
    label.wait_for(state="attached")
    assert label.inner_text() == MARKUP
    page.wait_for_function(
        "m => document.querySelector('#detail-facts').textContent.includes(m)", arg=MARKUP
    )
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#detail img[src=z]").count() == 0
    assert quote_plus("sale") in page.url
