"""The generated pictures with words: reproducible, every kind drawn, truth on disk."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.scaffold.words import (
    BACKGROUNDS,
    generate_word_pictures,
    load_word_pictures,
    made_up_word,
)


def test_the_same_seed_draws_the_same_pictures_and_words(tmp_path: Path) -> None:
    first = generate_word_pictures(tmp_path / "a", 24, seed=5)
    again = generate_word_pictures(tmp_path / "b", 24, seed=5)
    assert len(first) == 24 and first == again == load_word_pictures(tmp_path / "a")
    for picture in first[:6]:
        pixels = [
            Image.open(root / picture.file).convert("RGB").tobytes()
            for root in (tmp_path / "a", tmp_path / "b")
        ]
        assert pixels[0] == pixels[1]
    assert {p.background for p in first} == set(BACKGROUNDS)
    assert {p.size for p in first} == {"small", "large"}
    assert any(p.rotated for p in first) and any(not p.rotated for p in first)
    assert all(p.lines and all(p.lines) for p in first)
    assert generate_word_pictures(tmp_path / "c", 4, seed=6) != first[:4]


def test_made_up_words_are_words_and_not_from_a_dictionary() -> None:
    import random

    rng = random.Random(1)
    words = [made_up_word(rng) for _ in range(200)]
    assert all(w.isalnum() and len(w) >= 3 for w in words)
    assert len(set(words)) > 190  # rarely the same twice: a search for one finds one picture
