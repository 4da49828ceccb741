"""An annotation's image path finds the one indexed image it names, or says why not."""

from __future__ import annotations

from imgsearch.regions.annotations.match import PathMatcher

INDEXED = [
    ("images/0001.jpg", 1),
    ("images/0002.png", 2),
    ("val/images/0001.jpg", 3),
    ("cats/a.jpg", 4),
    ("dogs/a.jpg", 5),
]


def test_the_longest_matching_end_of_the_path_wins() -> None:
    matcher = PathMatcher(INDEXED)
    assert matcher.find("images/0001.jpg") == 1
    assert matcher.find("val/images/0001.jpg") == 3
    assert matcher.find("./images\\0002.png") == 2
    assert matcher.find("dataset/images/0002.png") == 2  # the annotation's own folder above


def test_names_that_fit_several_or_none_are_reported() -> None:
    matcher = PathMatcher(INDEXED)
    assert "fits 2 indexed images" in str(matcher.find("a.jpg"))
    assert "not an indexed image" in str(matcher.find("images/0003.jpg"))
    assert "not an indexed image" in str(matcher.find("0002.jpg"))  # the extension counts
    assert "not an indexed image" in str(matcher.find("../images/9.jpg"))


def test_yolo_names_images_without_their_extension() -> None:
    matcher = PathMatcher(INDEXED)
    assert matcher.find("images/0002", by_stem=True) == 2
    assert matcher.find("cats/a", by_stem=True) == 4
    assert "fits 2" in str(matcher.find("0001", by_stem=True))
    both = PathMatcher([("x/a.jpg", 1), ("x/a.png", 2)])
    assert "fits 2" in str(both.find("x/a", by_stem=True))
