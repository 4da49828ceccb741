"""Automatic tags in every store: written per picture, read back, untagged again when the
vector changes or the vocabulary is reset, and filtered and counted with the user's tags
(``--tag`` matches either, ``--not-tag`` neither)."""

from __future__ import annotations

from imgsearch.store import Filters, ImageWrite, Store, WriteBatch
from tests.store.conftest import facts, unit_vectors


def test_auto_tags_round_trip_filter_and_count(store: Store) -> None:
    vectors = unit_vectors(4, seed=3)
    ids = store.write(
        WriteBatch(images=[ImageWrite(facts(f"/p/{n}.jpg"), v) for n, v in enumerate(vectors)])
    )
    store.write(WriteBatch(images=[ImageWrite(facts("/p/none.jpg"), None)]))  # no vector
    assert store.auto_tags.progress() == (0, 4)
    assert (
        store.auto_tags.untagged(10) == sorted(ids)
        and store.auto_tags.untagged(2) == sorted(ids)[:2]
    )
    store.auto_tags.write({ids[0]: {"dog": 0.91, "grass": 0.6}, ids[1]: {"dog": 0.7}, ids[2]: {}})
    assert store.auto_tags.of(ids) == {
        ids[0]: {"dog": 0.91, "grass": 0.6}, ids[1]: {"dog": 0.7}, ids[2]: {}
    }  # fmt: skip
    assert store.auto_tags.untagged(10) == [ids[3]] and store.auto_tags.progress() == (3, 4)
    store.annotate(ids[3], caption=None, tags=["dog"])  # the user's own, kept apart
    store.annotate(ids[2], caption=None, tags=["cat"])

    def listed(filters: Filters) -> set[int]:
        return set(store.browse(filters, (), "path", 100, 0)[0])

    assert listed(Filters(tags=("dog",))) == {ids[0], ids[1], ids[3]}
    assert listed(Filters(tags=("grass", "cat"))) == {ids[0], ids[2]}
    assert listed(Filters(not_tags=("dog",))) == {ids[2]}
    assert listed(Filters(tags=("dog",), not_tags=("grass",))) == {ids[1], ids[3]}
    facets = store.facets(Filters(), (), "/", 0.0)
    assert dict(facets.auto_tags) == {"dog": 2, "grass": 1}
    assert dict(facets.tags) == {"dog": 1, "cat": 1}
    assert dict(store.facets(Filters(not_tags=("grass",)), (), "/", 0.0).auto_tags) == {"dog": 1}

    # a new vector is tagged again; new facts alone keep the tags
    store.write(WriteBatch(images=[ImageWrite(facts("/p/0.jpg"), -vectors[0], id=ids[0])]))
    store.write(WriteBatch(images=[ImageWrite(facts("/p/1.jpg", size=9), None, id=ids[1])]))
    assert set(store.auto_tags.untagged(10)) == {ids[0], ids[3]}
    assert store.auto_tags.of([ids[1]]) == {ids[1]: {"dog": 0.7}}
    assert store.auto_tags.reset() == 2 and store.auto_tags.progress() == (0, 4)
    assert listed(Filters(tags=("dog",))) == {ids[3]}  # the user's own stays
