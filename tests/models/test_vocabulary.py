"""What a closed-vocabulary model reads, and how a manifest lists it."""

from __future__ import annotations

from imgsearch.models.vocabulary import Vocabulary, words_of

SHAPES = Vocabulary.of(
    ["a photo of a red circle", "a blue star and a red square", "something green"],
    filler=("a", "of", "photo", "and", "something", "never-used"),
)


def test_words_are_case_folded_runs_of_letters_and_digits() -> None:
    assert words_of("Red  CIRCLE, img_2041-b!") == ["red", "circle", "img", "2041", "b"]
    assert words_of("Straße") == ["strasse"]


def test_filler_is_limited_to_words_the_texts_use() -> None:
    assert "never-used" not in SHAPES.filler and "photo" in SHAPES.filler
    assert {"red", "circle", "green"} <= SHAPES.words - SHAPES.filler


def test_a_text_is_read_when_one_known_word_says_something() -> None:
    assert SHAPES.reads("RED circles")
    assert SHAPES.reads("a forest with a blue star")
    assert not SHAPES.reads("forest")
    assert not SHAPES.reads("a photo of a forest")  # only filler is known
    assert not SHAPES.reads("")


def test_the_words_to_suggest_are_the_known_ones_that_say_something() -> None:
    assert SHAPES.content() == ["blue", "circle", "green", "red", "square", "star"]


def test_unknown_words_are_listed_once_in_order() -> None:
    assert SHAPES.unknown("a forest, a FOREST and a lake") == ["forest", "lake"]
    assert SHAPES.unknown("a red circle") == []


def test_a_manifest_round_trips_and_no_list_means_an_open_vocabulary() -> None:
    assert Vocabulary.from_manifest({"vocabulary": SHAPES.as_dict()}) == SHAPES
    assert Vocabulary.from_manifest({}) is None
    assert Vocabulary.from_manifest({"vocabulary": {"words": []}}) is None
    listed = Vocabulary.from_manifest({"vocabulary": {"words": ["Red"], "filler": ["a"]}})
    assert listed == Vocabulary(frozenset({"red"}), frozenset())


def test_rivals_swap_one_word_within_its_slot() -> None:
    slotted = Vocabulary.of(
        ["a photo of a red circle", "a blue star and a red square", "something green"],
        filler=("a", "of", "photo", "and", "something"),
        slots=(("red", "blue", "green", "purple"), ("circle", "star", "square")),
    )
    assert slotted.slots == (("red", "blue", "green"), ("circle", "star", "square"))
    assert slotted.rivals("A photo of a red Star") == [
        "a photo of a blue star",
        "a photo of a green star",
        "a photo of a red circle",
        "a photo of a red square",
    ]
    assert slotted.rivals("something") == [] and SHAPES.rivals("red star") == []
    assert Vocabulary.from_manifest({"vocabulary": slotted.as_dict()}) == slotted
    assert "slots" not in SHAPES.as_dict()
