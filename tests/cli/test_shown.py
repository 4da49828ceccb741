"""What the command line prints of collection strings and counts."""

from __future__ import annotations

from imgsearch.cli.shown import counted, shown


def test_control_characters_are_written_out() -> None:
    assert shown("a\x1b]0;title\x07b\x9bc") == "a\\x1b]0;title\\x07b\\x9bc"


def test_counts_take_the_word_for_that_many() -> None:
    assert [counted(n, "image") for n in (0, 1, 2)] == ["0 images", "1 image", "2 images"]
    assert counted(1, "box", "boxes") == "1 box" and counted(3, "box", "boxes") == "3 boxes"
