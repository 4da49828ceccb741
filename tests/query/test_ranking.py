"""Ranking with regions: label and source filters, object hits, a region as the query."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgsearch import Index, Query, QueryPart
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.errors import InvalidQuery, NotIndexed


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Collection, Path]:
    folder = tmp_path_factory.mktemp("ranking")
    collection = generate_collection(folder / "shapes", 16, seed=8)
    index = folder / "index"
    with Index.open(index, model="fake-hash") as opened:
        opened.update([collection.root])
        report = opened.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        assert report.problems == []
    return collection, index


def test_a_label_filter_finds_exactly_the_images_with_that_label(
    annotated: tuple[Collection, Path],
) -> None:
    collection, index_path = annotated
    label = collection.images[0].objects[0].name
    holders = {str(i.path) for i in collection.images if any(o.name == label for o in i.objects)}
    with Index.open(index_path) as index:
        hits = index.search(Query((QueryPart(text="a shape"),), labels=(label,), top=100))
    assert {h.image.path for h in hits} == holders
    assert all(h.region is not None and h.region.region.label == label for h in hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_object_hits_are_one_per_box(annotated: tuple[Collection, Path]) -> None:
    collection, index_path = annotated
    total = sum(len(i.objects) for i in collection.images)
    with Index.open(index_path) as index:
        hits = index.search(Query((QueryPart(text="a shape"),), objects=True, top=1000))
        assert len(hits) == total
        assert len({h.region.id for h in hits if h.region}) == total
        relevances = [h.relevance for h in hits]
        assert relevances == sorted(relevances, reverse=True)
        label = collection.images[1].objects[0].name
        labelled = index.search(
            Query((QueryPart(text="a shape"),), objects=True, labels=(label,), top=1000)
        )
        expected = sum(o.name == label for i in collection.images for o in i.objects)
        assert len(labelled) == expected
        page = index.search(Query((QueryPart(text="a shape"),), objects=True, top=5, offset=5))
        assert [h.region.id for h in page if h.region] == [
            h.region.id for h in hits[5:10] if h.region
        ]


def test_a_stored_region_is_a_query(annotated: tuple[Collection, Path]) -> None:
    collection, index_path = annotated
    image = collection.images[4]
    with Index.open(index_path) as index:
        region = index.regions(image.path)[0]
        [hit] = index.search(Query((QueryPart(region_id=region.id),), objects=True, top=1))
        assert hit.region is not None and hit.region.id == region.id
        assert hit.cosine == pytest.approx(1.0, abs=1e-5)
        [image_hit] = index.search(Query((QueryPart(region_id=region.id),), top=1))
        assert image_hit.image.path == str(image.path)
        with pytest.raises(NotIndexed):
            index.search(Query((QueryPart(region_id=10**9),)))


def test_region_queries_are_checked() -> None:
    with pytest.raises(InvalidQuery, match="unknown region source"):
        Query((QueryPart(text="x"),), sources=("camera",))
    with pytest.raises(InvalidQuery, match="keep regions on"):
        Query((QueryPart(text="x"),), objects=True, regions=False)
    with pytest.raises(InvalidQuery, match="exactly one of"):
        QueryPart(text="x", region_id=3)
