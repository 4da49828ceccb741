"""Words that win: the picture's ranking and the words' fused by rank (relevance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.query.fusion import RANK_CONSTANT, WORDS_MIN, Fusion
from tests.cli.test_cli import imgsearch


def test_ranks_are_places_among_the_candidates_and_ties_share_them() -> None:
    fusion = Fusion([0.9, 0.8, 0.8, 0.5], {1: 7.0, 2: 7.0, 3: 2.5, 4: 0.5}, 0.5)
    assert [fusion.picture_rank(c) for c in (0.95, 0.9, 0.8, 0.7, 0.1)] == [1, 1, 2, 4, 5]
    assert [fusion.words_rank(i) for i in (1, 2, 3, 4, 5)] == [1, 1, 3, None, None]
    k = RANK_CONSTANT
    assert fusion.relevance(0.9, 1) == pytest.approx(1.0)  # best of both
    assert fusion.relevance(0.9, 4) == pytest.approx((k + 1) * 0.5 / (k + 1))  # 0.5 < WORDS_MIN
    assert WORDS_MIN == 1.0


def test_a_picture_with_the_words_ranks_above_all_but_the_best_few_without() -> None:
    cosines = [0.9 - 0.001 * n for n in range(400)]
    fusion = Fusion(cosines, {7: 3.0}, 0.5)
    worded_last = fusion.relevance(cosines[-1], 7)  # the words, and the worst picture
    unworded = sorted((fusion.relevance(c, None) for c in cosines), reverse=True)
    assert sum(r > worded_last for r in unworded) <= 2
    # weight 0: pictures alone, in cosine order; weight 1: words alone
    alone = Fusion(cosines, {7: 3.0}, 0.0)
    assert alone.relevance(cosines[-1], 7) < alone.relevance(cosines[0], None)
    words = Fusion(cosines, {7: 3.0}, 1.0)
    assert words.relevance(cosines[-1], 7) > words.relevance(cosines[0], None) == 0.0


def test_a_query_the_model_cannot_read_ranks_by_its_words_first() -> None:
    cosines = [0.9 - 0.001 * n for n in range(40)]
    fusion = Fusion(cosines, {5: 1.5, 9: 4.0}, 0.1, readable=False)
    order = sorted(range(40), key=lambda i: -fusion.relevance(cosines[i], i))
    assert order[:3] == [9, 5, 0]  # words first; then the picture breaks ties


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fusion")
    collection = generate_collection(folder / "photos", 60, seed=36)
    index = folder / "index"
    with Index.open(index, model="fake-hash") as opened:
        opened.update([collection.root])
        opened.annotate(str(collection.images[17].path), caption="Lena's birthday party")
    named = collection.images[23].path.with_name("Kastanienallee-corner.png")
    collection.images[23].path.rename(named)
    assert imgsearch("index", str(collection.root), "--index", str(index)).returncode == 0
    return collection.images[17].path, named


def test_a_typed_caption_and_a_file_name_bring_their_picture_first(
    captioned: tuple[Path, Path],
) -> None:
    """fake-hash reads every text (a CLIP-family model does): its picture ranking competes
    with the words, and loses to them."""
    caption, named = captioned
    index = caption.parent.parent.parent / "index"
    for word, path, field in (("birthday", caption, "caption"), ("kastanienallee", named, "name")):
        result = imgsearch("search", word, "--index", str(index), "--json", "-n", "5")
        assert result.returncode == 0, result.stderr
        hits = [json.loads(line) for line in result.stdout.splitlines()]
        assert hits[0]["path"] == str(path) and hits[0]["words_in"] == [field]
        assert all(h["words_in"] == [] for h in hits[1:])
        table = imgsearch("search", word, "--index", str(index), "-n", "3")
        assert "words in" in table.stdout and field in table.stdout
    # weight 0 ranks by pictures alone: in cosine order, the words no longer decide
    alone = imgsearch("search", "birthday", "--index", str(index), "--json",
                      "--metadata-weight", "0", "-n", "60")  # fmt: skip
    cosines = [json.loads(line)["cosine"] for line in alone.stdout.splitlines()]
    assert len(cosines) == 60 and cosines == sorted(cosines, reverse=True)


def test_without_pictures_holding_the_words_the_pictures_rank_alone() -> None:
    fusion = Fusion([0.9, 0.8], {3: 0.4}, 0.5)  # a match too weak to count
    assert fusion.relevance(0.9, None) == 1.0 and fusion.relevance(0.8, 3) < 1.0
