"""The words a metadata search sees, and the folding and line matching of read text."""

from __future__ import annotations

from imgsearch.store.words import (
    fold_text,
    line_as_dict,
    lines_from_json,
    lines_to_json,
    matching_line,
    metadata_text,
)
from imgsearch.types import Box, TextLine


def line(text: str, confidence: float = 0.9) -> TextLine:
    return TextLine(text, Box(1.5, 2.0, 30.0, 8.25), confidence)


def test_metadata_text_holds_names_and_read_text() -> None:
    body = metadata_text("/pics/2019/Rome/IMG_2041.jpg", caption="Trevi", read="GELATO 3€\nsi")
    assert body.split("\n") == ["img 2041 pics 2019 rome", "Trevi", "GELATO 3€", "si"]


def test_folding_ignores_case_accents_spaces_and_compatibility_forms() -> None:
    assert fold_text("Straße 4711") == "strasse47ll"
    assert fold_text("Café  Müller") == "cafemuller"
    assert fold_text("ＡＢＣ ﬁle") == "abcflle"  # full-width letters, a ligature
    assert fold_text(" \t ") == fold_text("-–_.,;:!?()[]{}\"'/\\") == ""
    # punctuation goes like spaces (OCR drops and invents both); symbols stay
    assert fold_text("INV-4711") == fold_text("inv 4711") == fold_text("INV–4711.")
    assert fold_text("Region-basedsegmentation").startswith(fold_text("region based"))
    assert fold_text("3€ + 5%") == "3€+5"
    # what OCR confuses is one letter: the misread G1j0SI2298 is found as GIJOSI2298
    assert fold_text("G1j0SI2298") == fold_text("GIJOSI2298") == fold_text("gljosl2298")


def test_lines_round_trip_through_json_exactly() -> None:
    lines = [line("INVOICE 4711"), line('quote " and \\ and ünïcode', 0.5)]
    paged = TextLine("Total due", Box(1, 2, 3, 4), 1.0, page=12)
    assert lines_from_json(lines_to_json([*lines, paged])) == [*lines, paged]
    assert '"page"' not in lines_to_json(lines)  # pictures' lines are stored as before
    assert lines_from_json(None) == []
    assert line_as_dict(lines[0]) == {
        "text": "INVOICE 4711",
        "box": {"x": 1.5, "y": 2.0, "w": 30.0, "h": 8.25},
        "confidence": 0.9,
        "page": None,
    }
    assert line_as_dict(paged)["page"] == 12


def test_the_matching_line_holds_the_most_query_words_then_the_surest() -> None:
    lines = [line("Total 12,50", 0.99), line("Invoice 4711 Berlin", 0.8), line("invoice", 0.95)]
    assert matching_line(lines, "invoice berlin") == lines[1]
    assert matching_line(lines, "invoice") == lines[2]  # as many words: the surer line
    assert matching_line(lines, "berl") == lines[1]  # part of a word, 3 letters or more
    assert matching_line(lines, "to") is None  # short words only as whole words
    assert matching_line(lines, "dog") is None
    assert matching_line(lines, "", ["4711"]) == lines[1]  # the filter's phrase
    assert matching_line(lines, "total", ["4711"]) == lines[1]  # the phrase comes first
    assert matching_line([], "invoice") is None
