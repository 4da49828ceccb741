"""The search table loses no character of a hit at any terminal width: columns fold or
give way, numbers are never cropped."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from imgsearch import Index
from imgsearch.cli.hit_table import print_hits
from imgsearch.query.expression import Hits
from tests.conftest import photo

NAMES = (
    "retina-moved.jpg",
    "a-rather-long-file-name-from-a-camera-roll-IMG_20230601_140300-edited-again.jpg",
    "写真 夏休み 2023.png",  # wide characters: two cells each
)


@pytest.fixture(scope="module")
def hits(tmp_path_factory: pytest.TempPathFactory) -> Hits:
    root = tmp_path_factory.mktemp("t") / "photos" / "space" / "more folders" / "deeper"
    root.mkdir(parents=True)
    for seed, name in enumerate(NAMES):
        photo(64 + seed, 48, seed=seed).save(root / name)
    with Index.open(root.parents[3] / "index", model="fake-hash", create=True) as index:
        index.update([root])
        found = index.search("zebra", top=3)
    assert len(found) == 3
    return found


def _printed(hits: Hits, width: int) -> str:
    out = io.StringIO()
    print_hits(Console(file=out, width=width, highlight=False), hits)
    return out.getvalue()


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("width", [24, 32, 40, 48, 56, 64, 72, 80, 100, 120, 160])
def test_every_character_of_every_hit_is_printed(hits: Hits, width: int) -> None:
    printed = _printed(hits, width)
    assert "…" not in printed  # nothing cropped
    squeezed = _squeezed(printed)
    for hit in hits:
        assert _squeezed(hit.image.path) in squeezed  # folded, never cut
        assert f"{hit.relevance:.4f}" in printed or width < 100  # a column may give way …
        assert f"{hit.cosine:.4f}" in printed or width < 100
    # … but the rank, the confidence and the path always stay
    assert "confidence" in printed and all(str(hit.rank) in printed for hit in hits)
    assert all(Console(width=width).measure(line).maximum <= width for line in printed.splitlines())


def test_the_columns_give_way_least_telling_first(hits: Hits) -> None:
    wide, at_80, narrow = (_printed(hits, w).splitlines()[0].split() for w in (160, 80, 40))
    assert wide == ["#", "relevance", "cosine", "confidence", "size", "taken", "path"]
    assert at_80 == ["#", "relevance", "cosine", "confidence", "size", "path"]
    assert narrow == ["#", "confidence", "path"]
    stacked = _printed(hits, 24)  # too narrow for a table: a hit's lines of its own
    assert stacked.startswith("#1  relevance ") and "confidence" in stacked
