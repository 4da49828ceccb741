"""Browsing without a query, the same on every store: pages in an order, counts by folder,
month, tag, label and kind, under the same filters."""

from __future__ import annotations

import datetime as dt

import pytest

from imgsearch.errors import InvalidQuery
from imgsearch.store import Filters, ImageWrite, Region, RegionSet, Store, WriteBatch
from imgsearch.store.browsing import check_page, facet_base
from imgsearch.types import Box
from tests.store.conftest import facts, unit_vectors

UTC = dt.UTC


def seconds(year: int, month: int, day: int, hour: int = 12) -> float:
    return dt.datetime(year, month, day, hour, tzinfo=UTC).timestamp()


# path, capture time (None: the modification time, 2020-09-13 12:26:40 UTC), kind, tags
ITEMS = [
    ("/lib/2023/a.jpg", seconds(2023, 5, 1), "image", ["beach"]),
    ("/lib/2023/b.jpg", seconds(2023, 5, 20), "image", ["beach", "family"]),
    ("/lib/2023/trip/c.jpg", seconds(2023, 7, 4), "image", []),
    ("/lib/2024/d.mp4", seconds(2024, 1, 31, 23), "video", ["family"]),
    ("/lib/e.png", None, "image", []),
]


@pytest.fixture
def filled(store: Store) -> tuple[Store, list[int]]:
    vectors = unit_vectors(len(ITEMS) + 1)
    images = [
        ImageWrite(facts(path, captured_at=taken, kind=kind), vectors[n])
        for n, (path, taken, kind, _) in enumerate(ITEMS)
    ]
    images.append(ImageWrite(facts("/lib/2023/no-vector.jpg"), None))  # still being indexed
    bus = Region("annotation", box=Box(1, 1, 10, 10), label="bus")
    car = Region("annotation", box=Box(5, 5, 10, 10), label="car")
    ids = store.write(
        WriteBatch(
            images=images,
            regions=[
                RegionSet("annotation", [(bus, vectors[0]), (car, vectors[1])], image_index=0),
                RegionSet("annotation", [(car, vectors[2])], image_index=2),
            ],
        )
    )
    for image_id, (_, _, _, tags) in zip(ids, ITEMS, strict=False):
        if tags:
            store.annotate(image_id, caption=None, tags=tags)
    return store, ids


def paths(store: Store, ids: list[int]) -> list[str]:
    by_id = {r.id: r.path for r in store.get(ids)}
    return [by_id[i] for i in ids]


def test_pages_come_newest_first_oldest_first_or_by_path_with_the_total(filled) -> None:
    store, _ = filled
    newest, total = store.browse(Filters(), [], "newest", 10, 0)
    assert total == 5  # the item without a vector is not listed
    assert paths(store, newest) == [
        "/lib/2024/d.mp4", "/lib/2023/trip/c.jpg", "/lib/2023/b.jpg", "/lib/2023/a.jpg",
        "/lib/e.png",
    ]  # fmt: skip
    oldest, _ = store.browse(Filters(), [], "oldest", 2, 1)
    assert paths(store, oldest) == ["/lib/2023/a.jpg", "/lib/2023/b.jpg"]
    by_path, _ = store.browse(Filters(), [], "path", 10, 0)
    assert paths(store, by_path) == sorted(p for p, *_ in ITEMS)


def test_filters_tags_and_labels_narrow_a_listing_and_its_total(filled) -> None:
    store, _ = filled
    beach, total = store.browse(Filters(tags=("beach",)), [], "path", 10, 0)
    assert paths(store, beach) == ["/lib/2023/a.jpg", "/lib/2023/b.jpg"] and total == 2
    family_2023, total = store.browse(
        Filters(tags=("family", "nothing"), under=("/lib/2023",)), [], "path", 10, 0
    )
    assert paths(store, family_2023) == ["/lib/2023/b.jpg"] and total == 1
    cars, total = store.browse(Filters(), ["car", "truck"], "path", 10, 0)
    assert paths(store, cars) == ["/lib/2023/a.jpg", "/lib/2023/trip/c.jpg"] and total == 2
    videos, total = store.browse(Filters(media="video"), [], "newest", 10, 0)
    assert paths(store, videos) == ["/lib/2024/d.mp4"] and total == 1


def test_facets_count_what_the_filters_allow(filled) -> None:
    store, _ = filled
    facets = store.facets(Filters(), [], "/lib", 0.0)
    assert facets.total == 5 and facets.base == "/lib"
    assert facets.folders == (("/lib/2023", 3), ("/lib/2024", 1)) and facets.here == 1
    assert facets.months == (("2020-09", 1), ("2023-05", 2), ("2023-07", 1), ("2024-01", 1))
    assert facets.tags == (("beach", 2), ("family", 2))
    assert facets.labels == (("car", 2), ("bus", 1))
    assert facets.kinds == (("image", 4), ("video", 1))
    inside = store.facets(Filters(under=("/lib/2023",)), ["car"], "/lib/2023", 0.0)
    assert inside.total == 2 and inside.folders == (("/lib/2023/trip", 1),) and inside.here == 1
    assert inside.labels == (("car", 2), ("bus", 1))  # every label stays on offer
    assert inside.tags == (("beach", 1),)


def test_months_are_counted_in_the_callers_time_zone(filled) -> None:
    store, _ = filled
    # 2024-01-31 23:00 UTC is February the 1st two hours east of Greenwich
    east = store.facets(Filters(media="video"), [], "/lib", 2 * 3600.0)
    assert east.months == (("2024-02", 1),)


def test_an_unknown_order_or_page_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="unknown order"):
        check_page("random", 10, 0)
    with pytest.raises(InvalidQuery, match="page"):
        check_page("newest", 5000, 0)
    with pytest.raises(InvalidQuery, match="page"):
        check_page("newest", 10, -1)


def test_the_folder_facet_starts_where_the_user_is() -> None:
    assert facet_base(["/lib/2023/"], ["/lib"]) == "/lib/2023"
    assert facet_base([], ["/a/photos", "/a/videos"]) == "/a"
    assert facet_base([], ["/a", "/b"]) == "/"
    assert facet_base([], []) == "/"
