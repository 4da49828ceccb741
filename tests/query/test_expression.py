"""Query parsing and combination (relevance: tests/query/test_fusion.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import InvalidQuery
from imgsearch.query.expression import (
    Query,
    QueryPart,
    combine,
    parse_expression,
)


def test_rclip_style_expression_with_weights_images_and_negatives(tmp_path: Path) -> None:
    pool = tmp_path / "pool.jpg"
    pool.write_bytes(b"")
    parts = parse_expression(f"2:golden retriever + {pool} - grass")
    assert parts == [
        QueryPart(text="golden retriever", weight=2.0),
        QueryPart(image=str(pool), weight=1.0),
        QueryPart(text="grass", weight=-1.0),
    ]
    # the shell splits unquoted words into separate arguments
    assert parse_expression(["red", "car", "-", "0.5:night"]) == [
        QueryPart(text="red car"),
        QueryPart(text="night", weight=-0.5),
    ]


def test_hyphens_inside_words_are_not_operators() -> None:
    assert parse_expression("t-shirt with a print") == [QueryPart(text="t-shirt with a print")]


def test_a_name_with_an_image_extension_is_an_image_even_if_missing() -> None:
    assert parse_expression("holiday.jpg")[0].image == "holiday.jpg"


@pytest.mark.parametrize("expression", ["dog +", "+ ", "- grass"])
def test_incomplete_or_only_negative_expressions_are_refused(expression: str) -> None:
    with pytest.raises(InvalidQuery):
        Query(tuple(parse_expression(expression)))


def test_query_validation() -> None:
    with pytest.raises(InvalidQuery, match="nothing to search"):
        Query(())
    with pytest.raises(InvalidQuery):
        QueryPart(text="  ")
    with pytest.raises(InvalidQuery):
        QueryPart(text="dog", weight=0)
    with pytest.raises(InvalidQuery):
        Query((QueryPart(text="dog"),), top=0)
    assert Query((QueryPart(text="dog"), QueryPart(text="cat", weight=-1))).words == "dog"


def test_combination_is_the_normalised_weighted_sum() -> None:
    a, b = np.eye(4, dtype=np.float32)[:2]
    combined = combine(np.stack([a, b]), [2.0, 1.0])
    np.testing.assert_allclose(combined, np.array([2, 1, 0, 0]) / np.sqrt(5), atol=1e-7)
    with pytest.raises(InvalidQuery, match="cancel"):
        combine(np.stack([a, a]), [1.0, -1.0])


@pytest.fixture
def three_photos(tmp_path: Path) -> Path:
    """A folder of three photos, indexed with the fake model into ``tmp_path / "index"``."""
    from imgsearch import Index
    from tests.conftest import photo

    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(3):
        photo(64, 48, seed=seed).save(folder / f"p{seed}.png")
    with Index.open(tmp_path / "index", model="fake-hash") as index:
        index.update([folder])
    return folder


def test_a_query_carries_its_own_page_and_index_search_refuses_a_second_one(
    tmp_path: Path, three_photos: Path
) -> None:
    from imgsearch import Index
    from imgsearch.query.expression import Query, QueryPart

    with Index.open(tmp_path / "index") as index:
        query = Query((QueryPart(text="a photo"),), top=2)
        assert len(index.search(query)) == 2
        with pytest.raises(InvalidQuery, match="carries its own"):
            index.search(query, top=5)  # once silently ignored
        assert len(index.search("a photo", top=1)) == 1


def test_unknown_words_are_named_only_for_texts_and_an_unread_text_has_confidence_0(
    tmp_path: Path, three_photos: Path
) -> None:
    from imgsearch import Index
    from imgsearch.models.vocabulary import Vocabulary
    from imgsearch.query.expression import QueryPart

    with Index.open(tmp_path / "index") as reopened:
        first = reopened.find(three_photos / "p0.png")
        hits = reopened.search([QueryPart(image_id=first.id)], top=3)
        assert hits[0].id == first.id
        assert reopened.unknown_words([QueryPart(image_id=first.id)]) == []
        reopened.encoder.vocabulary = Vocabulary.of(["red circle"], ())  # type: ignore[misc]
        assert reopened.unknown_words("red forest") == ["forest"]
        unread = reopened.search("forest", top=3)
        assert {h.confidence for h in unread} == {0.0}
        # the hits carry the reading that decided it, for every edge to show
        assert unread.vocabulary.readable is False and unread.vocabulary.unknown == ("forest",)
        assert unread.vocabulary.known == ("circle", "red")  # what it could search for
        assert reopened.search("red forest", top=3).vocabulary.unknown == ("forest",)
        assert {h.confidence for h in reopened.search("red circle", top=3)} == {None}  # 3 images
