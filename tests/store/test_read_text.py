"""Text read in images (OCR), stored: the same on every store (embedded, PostgreSQL, Citus).

The text of an image counts only while the image holds the bytes it was read from; it
joins the metadata text and is what the ``contains_text`` filter looks in.
"""

from __future__ import annotations

import pytest

from imgsearch.errors import InvalidQuery
from imgsearch.store import Filters, ImageWrite, Store, TextSet, WriteBatch
from imgsearch.types import Box, TextLine
from tests.store.conftest import facts, unit_vectors

STAMP = "reader-1"


def line(text: str, y: float = 10.0, confidence: float = 0.9) -> TextLine:
    return TextLine(text, Box(5.0, y, 120.0, 20.0), confidence)


def add_images(store: Store, texts: dict[str, list[TextLine] | None]) -> dict[str, int]:
    """One image per path, with its read text where given (``None``: not read)."""
    vectors = unit_vectors(len(texts))
    batch = WriteBatch()
    for n, (path, lines) in enumerate(texts.items()):
        batch.images.append(ImageWrite(facts(path, f"digest-{path}"), vectors[n]))
        if lines is not None:
            batch.texts.append(TextSet(lines, STAMP, f"digest-{path}", image_index=n))
    ids = store.write(batch)
    return dict(zip(texts, ids, strict=True))


def test_lines_round_trip_with_boxes_and_confidences(store: Store) -> None:
    ids = add_images(
        store,
        {
            "/p/invoice.png": [line("INVOICE 4711"), line("Total: 12,50 €", 40, 0.75)],
            "/p/b.png": [],
        },
    )
    lines = store.texts.lines(list(ids.values()))
    assert lines[ids["/p/invoice.png"]] == [line("INVOICE 4711"), line("Total: 12,50 €", 40, 0.75)]
    assert lines[ids["/p/b.png"]] == []
    assert store.texts.counts() == (2, 1, 0)


def test_read_text_joins_the_metadata_score(store: Store) -> None:
    ids = add_images(
        store, {"/p/a.png": [line("Bahnhofstrasse 12")], "/p/b.png": [line("nothing here")]}
    )
    assert [i for i, _ in store.metadata_matches("bahnhofstrasse", 10)] == [ids["/p/a.png"]]


def test_words_with_digits_or_camel_case_are_found_as_written_and_in_parts(store: Store) -> None:
    """File names are indexed split (``beachDay`` → beach day), read text as written
    (``dukitm4568``): a query finds either way."""
    ids = add_images(store, {"/p/beachDay.png": [line("dukitm4568 Room101")], "/p/b.png": []})
    for query in ("dukitm4568", "DUKITM4568", "room101", "beachDay", "beach"):
        assert [i for i, _ in store.metadata_matches(query, 10)] == [ids["/p/beachDay.png"]], query


def test_contains_text_is_blind_to_case_accents_and_spaces(store: Store) -> None:
    ids = add_images(
        store,
        {
            "/p/a.png": [line("Straße 4711"), line("Café Müller")],
            "/p/b.png": [line("cafe 4712")],
            "/p/c.png": None,
        },
    )
    query = unit_vectors(1, seed=5)[0]

    def found(*phrases: str, **more: object) -> set[int]:
        filters = Filters(contains_text=phrases, **more)  # type: ignore[arg-type]
        return {i for i, _ in store.nearest(query, 10, filters)}

    assert found("STRASSE") == {ids["/p/a.png"]}
    assert found("cafe") == {ids["/p/a.png"], ids["/p/b.png"]}
    assert found("cafem") == {ids["/p/a.png"]}  # "Café Müller" with the space dropped
    assert found("cafe", "4711") == {ids["/p/a.png"]}  # every phrase, any line
    assert found("4711cafe") == set()  # never across two lines
    assert found("cafe", under=("/q",)) == set()
    assert [i for i, _ in store.metadata_matches("cafe", 10, Filters(contains_text=("4712",)))] == [
        ids["/p/b.png"]
    ]


def test_contains_text_folds_punctuation_like_spaces(store: Store) -> None:
    ids = add_images(
        store,
        {
            "/p/paper.png": [line("Region-basedsegmentation")],
            "/p/invoice.png": [line("INV-4711 (paid)")],
            "/p/price.png": [line("3€ / 5$")],
        },
    )
    query = unit_vectors(1, seed=5)[0]

    def found(phrase: str) -> set[int]:
        return {i for i, _ in store.nearest(query, 10, Filters(contains_text=(phrase,)))}

    assert found("region based") == found("region-based seg") == {ids["/p/paper.png"]}
    assert found("inv 4711") == found("inv4711paid") == found("INV–4711") == {ids["/p/invoice.png"]}
    assert found("3€") == {ids["/p/price.png"]}  # symbols are kept: they carry meaning
    assert found("3$") == set()


def test_contains_text_has_no_wildcards(store: Store) -> None:
    ids = add_images(store, {"/p/a.png": [line("save 50% now")], "/p/b.png": [line("a_b \\ c")]})
    query = unit_vectors(1, seed=5)[0]

    def found(phrase: str) -> set[int]:
        return {i for i, _ in store.nearest(query, 10, Filters(contains_text=(phrase,)))}

    assert found("0%n") == found("0n") == {ids["/p/a.png"]}
    assert found("a_b") == found("b\\c") == found("abc") == {ids["/p/b.png"]}
    assert found("axb") == found("5%w") == found("5w") == set()  # "%", "_" match nothing else


def test_text_of_changed_bytes_no_longer_counts(store: Store) -> None:
    ids = add_images(store, {"/p/a.png": [line("invoice")]})
    image_id = ids["/p/a.png"]
    changed = facts("/p/a.png", "digest-new")
    store.write(WriteBatch(images=[ImageWrite(changed, unit_vectors(1, 3)[0], id=image_id)]))
    assert store.texts.lines([image_id]) == {}
    assert store.metadata_matches("invoice", 10) == []
    assert store.nearest(unit_vectors(1)[0], 5, Filters(contains_text=("invoice",))) == []
    assert [f.id for f in store.texts.unread(STAMP, [])] == [image_id]
    # text read from the old bytes arriving late is not written
    store.write(WriteBatch(texts=[TextSet([line("stale")], STAMP, "digest-/p/a.png", image_id)]))
    assert store.texts.lines([image_id]) == {}
    store.write(WriteBatch(texts=[TextSet([line("fresh")], STAMP, "digest-new", image_id)]))
    assert store.texts.lines([image_id]) == {image_id: [line("fresh")]}
    assert [i for i, _ in store.metadata_matches("fresh", 10)] == [image_id]


def test_files_without_text_lists_what_the_reader_has_not_read(store: Store) -> None:
    ids = add_images(store, {"/p/a.png": [], "/p/b.png": None, "/q/c.png": None})
    assert [f.path for f in store.texts.unread(STAMP, [])] == ["/p/b.png", "/q/c.png"]
    assert [f.path for f in store.texts.unread(STAMP, ["/q"])] == ["/q/c.png"]
    assert [f.path for f in store.texts.unread("reader-2", ["/p"])] == [
        "/p/a.png",
        "/p/b.png",
    ]
    warned = TextSet([], STAMP, "digest-/p/b.png", ids["/p/b.png"], warning="decoder failed")
    store.write(WriteBatch(texts=[warned]))
    assert [f.path for f in store.texts.unread(STAMP, ["/p"])] == []
    assert store.texts.counts() == (2, 0, 1)
    assert store.texts.warnings() == [("/p/b.png", "decoder failed")]


def test_deleted_images_take_their_text_along(store: Store) -> None:
    ids = add_images(store, {"/p/a.png": [line("invoice")]})
    store.write(WriteBatch(deletes=[ids["/p/a.png"]]))
    assert store.texts.counts() == (0, 0, 0)
    assert store.metadata_matches("invoice", 10) == []


def test_the_text_policy_is_kept(store: Store) -> None:
    assert store.documents.get("text_policy") == {}
    store.documents.put("text_policy", {"read": True, "max_side": 1280})
    assert store.documents.get("text_policy") == {"read": True, "max_side": 1280}


def test_the_documents_are_the_ones_an_index_keeps(store: Store) -> None:
    """A name outside the list is a programming error, never a column or key made up."""
    with pytest.raises(ValueError, match="no document 'colour'"):
        store.documents.get("colour")
    with pytest.raises(ValueError, match="region_policy, calibration, text_policy"):
        store.documents.put("images; DROP TABLE images", {})


def test_bad_contains_text_phrases_are_refused() -> None:
    for nothing in (" ", "%", " - _ "):
        with pytest.raises(InvalidQuery, match="no letters, digits or symbols"):
            Filters(contains_text=(nothing,))
    with pytest.raises(InvalidQuery, match="at most"):
        Filters(contains_text=("x" * 201,))
