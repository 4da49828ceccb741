"""The query expression's grammar: the one parser behind the command line, ``q`` over HTTP
and the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgsearch.errors import InvalidQuery
from imgsearch.query.expression import QueryPart, parse_expression
from imgsearch.query.grammar import Term, format_terms, parse_terms

README_MIX = [Term("golden retriever", 2.0), Term("./pool.jpg", 1.0, True), Term("grass", -1.0)]


@pytest.mark.parametrize(
    "expression",
    [
        '"2:golden retriever" + ./pool.jpg - grass',  # the README's example
        '2:"golden retriever" + "./pool.jpg" - grass',
        "2:golden retriever + ./pool.jpg - grass",
        '  "2:golden retriever"   +   ./pool.jpg   -   "grass"  ',
    ],
)
def test_weights_quotes_images_and_negatives(expression: str) -> None:
    assert parse_terms(expression) == README_MIX


def test_quotes_group_signs_and_spaces() -> None:
    assert parse_terms('"salt + pepper" - "t - shirt"') == [
        Term("salt + pepper"),
        Term("t - shirt", -1.0),
    ]
    assert parse_terms('"my pool.jpg" + 0.5:dog') == [
        Term("my pool.jpg", 1.0, True),
        Term("dog", 0.5),
    ]
    assert parse_terms("a photo of holiday.jpg") == [Term("a photo of holiday.jpg")]
    assert parse_terms("t-shirt with a print") == [Term("t-shirt with a print")]
    assert parse_terms("- grass + dog") == [Term("grass", -1.0), Term("dog")]


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ('"golden retriever', "quote open"),
        ('2:"golden" retriever', "quote inside"),
        ("dog +", "ends with an operator"),
        ("dog + + cat", "empty part"),
        ("dog - - cat", "empty part"),
    ],
)
def test_broken_expressions_say_what_is_wrong(expression: str, problem: str) -> None:
    with pytest.raises(InvalidQuery, match=problem):
        parse_terms(expression)


def test_only_a_caller_that_reads_files_looks_at_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scan-0001").write_bytes(b"")  # an image without an extension
    monkeypatch.chdir(tmp_path)
    assert parse_terms("scan-0001", files=True) == [Term("scan-0001", 1.0, True)]
    assert parse_terms("scan-0001") == [Term("scan-0001")]  # HTTP: never looks
    assert parse_expression("scan-0001 - dog") == [
        QueryPart(image="scan-0001"),
        QueryPart(text="dog", weight=-1.0),
    ]


WORD = st.text(st.sampled_from("abcxyz019:.-+/_\"' \t"), min_size=1, max_size=12).filter(
    lambda w: '"' not in w and w.strip() == w and w
)
TEXT = WORD.filter(lambda w: Path(w).suffix.lower() not in {".jpg", ".png", ".webp"})
IMAGE = st.builds(lambda w, ext: w + ext, WORD, st.sampled_from([".jpg", ".png", ".webp"])).filter(
    lambda name: Path(name).suffix  # not a dot-name such as "/.jpg": that has no extension
)
WEIGHT = st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 0.3333]).flatmap(
    lambda w: st.sampled_from([w, -w])
)


@given(
    st.lists(
        st.one_of(
            st.builds(Term, TEXT, WEIGHT),
            st.builds(lambda i, w: Term(i, w, True), IMAGE, WEIGHT),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_a_formatted_expression_parses_back_into_its_parts(terms: list[Term]) -> None:
    assert parse_terms(format_terms(terms)) == terms
