"""The store contract for regions: an image's parts with vectors of their own, written
with their image, replaced per source, gone with their image — the same on every store."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from imgsearch.errors import InvalidBox, ModelMismatch, StoreError
from imgsearch.store import (
    Box,
    Filters,
    ImageWrite,
    IndexSettings,
    Region,
    RegionSet,
    Store,
    WriteBatch,
)
from tests.store.conftest import DIM, facts, unit_vectors


def bus(x: float = 10, label: str | None = "bus", source: str = "annotation") -> Region:
    return Region(source, box=Box(x, 20, 30.5, 40), label=label, score=0.9)


def with_image(path: str, vector: np.ndarray, *sets: RegionSet) -> WriteBatch:
    return WriteBatch(images=[ImageWrite(facts(path), vector)], regions=list(sets))


def test_regions_are_written_with_a_new_image_and_read_back(store: Store) -> None:
    vectors = unit_vectors(4)
    regions = [bus(10), bus(50, label=None), Region("grid", box=Box(0, 0, 320, 240))]
    batch = with_image(
        "/p/street.jpg",
        vectors[0],
        RegionSet(
            "annotation", [(regions[0], vectors[1]), (regions[1], vectors[2])], image_index=0
        ),
        RegionSet("grid", [(regions[2], vectors[3])], image_index=0),
    )
    [image_id] = store.write(batch)
    found = store.regions.of([image_id])
    assert [r.region for r in found] == regions
    assert all(r.image_id == image_id for r in found)
    assert [r.id for r in found] == sorted(r.id for r in found)
    np.testing.assert_array_equal(store.regions.vectors([r.id for r in found]), vectors[1:])
    np.testing.assert_array_equal(
        store.regions.vectors([found[2].id, found[0].id]), vectors[[3, 1]]
    )
    assert store.stats().regions == 3


def test_a_region_set_replaces_only_its_own_source(store: Store) -> None:
    vectors = unit_vectors(6, seed=1)
    [image_id] = store.write(
        with_image(
            "/p/a.jpg",
            vectors[0],
            RegionSet("annotation", [(bus(1), vectors[1]), (bus(2), vectors[2])], image_index=0),
            RegionSet("grid", [(Region("grid", box=Box(0, 0, 5, 5)), vectors[3])], image_index=0),
        )
    )
    store.write(
        WriteBatch(regions=[RegionSet("annotation", [(bus(3), vectors[4])], image_id=image_id)])
    )
    found = store.regions.of([image_id])
    assert sorted((r.region.source, r.region.box.x) for r in found if r.region.box) == [
        ("annotation", 3.0),
        ("grid", 0.0),
    ]
    store.write(WriteBatch(regions=[RegionSet("grid", [], image_id=image_id)]))
    assert [r.region.source for r in store.regions.of([image_id])] == ["annotation"]


def test_regions_are_read_by_image_in_the_order_asked(store: Store) -> None:
    vectors = unit_vectors(5, seed=2)
    ids = store.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/p/a.jpg"), vectors[0]),
                ImageWrite(facts("/p/b.jpg"), vectors[1]),
            ],
            regions=[
                RegionSet("annotation", [(bus(1), vectors[2])], image_index=0),
                RegionSet(
                    "annotation", [(bus(2), vectors[3]), (bus(3), vectors[4])], image_index=1
                ),
            ],
        )
    )
    found = store.regions.of([ids[1], ids[0], ids[1]])
    assert [(r.image_id, r.region.box.x) for r in found if r.region.box] == [
        (ids[1], 2.0),
        (ids[1], 3.0),
        (ids[0], 1.0),
    ]
    assert store.regions.of([]) == [] and store.regions.of([10**9]) == []


def test_a_moved_image_keeps_its_regions_and_a_changed_one_loses_them(store: Store) -> None:
    vectors = unit_vectors(4, seed=3)
    [image_id] = store.write(
        with_image(
            "/p/a.jpg", vectors[0], RegionSet("annotation", [(bus(), vectors[1])], image_index=0)
        )
    )
    store.write(WriteBatch(images=[ImageWrite(facts("/p/moved/a.jpg"), None, id=image_id)]))
    assert len(store.regions.of([image_id])) == 1
    # New pixels: the old boxes no longer describe them, unless the same batch says so.
    store.write(
        WriteBatch(images=[ImageWrite(facts("/p/moved/a.jpg", size=7), vectors[2], id=image_id)])
    )
    assert store.regions.of([image_id]) == []
    store.write(
        WriteBatch(
            images=[ImageWrite(facts("/p/moved/a.jpg", size=8), vectors[0], id=image_id)],
            regions=[RegionSet("annotation", [(bus(5), vectors[3])], image_id=image_id)],
        )
    )
    assert [r.region.box.x for r in store.regions.of([image_id]) if r.region.box] == [5.0]


def test_deleting_an_image_deletes_its_regions(store: Store) -> None:
    vectors = unit_vectors(3, seed=4)
    ids = store.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/p/a.jpg"), vectors[0]),
                ImageWrite(facts("/p/b.jpg"), vectors[1]),
            ],
            regions=[RegionSet("annotation", [(bus(), vectors[2])], image_index=0)],
        )
    )
    region_id = store.regions.of([ids[0]])[0].id
    store.write(WriteBatch(deletes=[ids[0]]))
    assert store.regions.of([ids[0]]) == []
    assert store.stats().regions == 0
    with pytest.raises(StoreError):
        store.regions.vectors([region_id])


def test_regions_for_a_missing_image_fail_the_whole_batch(store: Store) -> None:
    vectors = unit_vectors(3, seed=5)
    [kept] = store.write(with_image("/p/a.jpg", vectors[0]))
    batch = WriteBatch(
        images=[ImageWrite(facts("/p/new.jpg"), vectors[1])],
        regions=[RegionSet("annotation", [(bus(), vectors[2])], image_id=kept + 1000)],
    )
    with pytest.raises(StoreError):
        store.write(batch)
    assert store.find_path("/p/new.jpg") is None  # nothing of it landed
    # Nor may a batch give regions to an image it deletes.
    with pytest.raises(StoreError):
        store.write(
            WriteBatch(
                deletes=[kept],
                regions=[RegionSet("annotation", [(bus(), vectors[2])], image_id=kept)],
            )
        )
    assert store.find_path("/p/a.jpg") is not None


def test_region_vectors_must_fit_the_index(store: Store) -> None:
    [image_id] = store.write(with_image("/p/a.jpg", unit_vectors(1)[0]))
    wrong = unit_vectors(1, dim=DIM + 1)[0]
    with pytest.raises(ModelMismatch):
        store.write(
            WriteBatch(regions=[RegionSet("annotation", [(bus(), wrong)], image_id=image_id)])
        )
    assert store.regions.of([image_id]) == []


def test_rebinding_to_another_model_drops_every_region(store: Store) -> None:
    vectors = unit_vectors(2, seed=6)
    [image_id] = store.write(
        with_image(
            "/p/a.jpg", vectors[0], RegionSet("annotation", [(bus(), vectors[1])], image_index=0)
        )
    )
    store.bind(IndexSettings("another-model", DIM), reembed=True)
    assert store.regions.of([image_id]) == []
    assert store.stats().regions == 0


def test_a_region_is_checked_when_made() -> None:
    with pytest.raises(ValueError):
        Region("camera")  # not a known source
    with pytest.raises(InvalidBox):
        Box(0, 0, 0, 10)  # empty
    with pytest.raises(InvalidBox):
        Box(float("nan"), 0, 1, 1)
    with pytest.raises(ValueError):
        Region("grid", box=Box(0.1, 0.1, 0.5, 0.5, unit="fraction"))  # pixels only
    with pytest.raises(ValueError):
        Region("grid", time=-1.0)
    with pytest.raises(ValueError):
        RegionSet("grid", [], image_id=1, image_index=0)
    with pytest.raises(ValueError):
        RegionSet("grid", [(bus(), unit_vectors(1)[0])], image_id=1)  # an annotation region
    frame = Region("detector", time=12.5, label="car", score=0.7)  # a video moment: no box
    assert frame.box is None and frame.time == 12.5


def regions_of(
    store: Store, count: int, seed: int, per_image: int = 3, folder: str = "/p"
) -> np.ndarray:
    """``count`` images with ``per_image`` labelled regions each; the region vectors."""
    vectors = unit_vectors(count * (per_image + 1), seed=seed)
    labels = ["bus", "car", "person"]
    batch = WriteBatch()
    for n in range(count):
        batch.images.append(ImageWrite(facts(f"{folder}/{n:04d}.jpg"), vectors[n]))
        group = [
            (bus(float(j), label=labels[(n + j) % 3]), vectors[count + n * per_image + j])
            for j in range(per_image)
        ]
        batch.regions.append(RegionSet("annotation", group, image_index=n))
    store.write(batch)
    return vectors[count:]


def test_nearest_regions_are_exact_best_first_with_their_images(store: Store) -> None:
    region_vectors = regions_of(store, 20, seed=7)
    query = region_vectors[17]
    found = store.regions.nearest(query, 5)
    assert len(found) == 5
    cosines = [c for _, _, c in found]
    assert cosines == sorted(cosines, reverse=True)
    assert abs(cosines[0] - 1.0) < 1e-5
    records = {r.id: r for r in store.regions.of(sorted({image for _, image, _ in found}))}
    for region_id, image_id, cosine in found:
        assert records[region_id].image_id == image_id
        expected = float(store.regions.vectors([region_id])[0] @ query)
        assert abs(cosine - expected) < 1e-5
    all_found = store.regions.nearest(query, 1000)
    assert len(all_found) == 60
    expected_order = np.argsort(-(region_vectors @ query), kind="stable")
    assert [round(c, 5) for _, _, c in all_found] == [
        round(float(region_vectors[i] @ query), 5) for i in expected_order
    ]


def test_nearest_regions_filter_by_label_source_and_image(store: Store) -> None:
    regions_of(store, 12, seed=8, folder="/p/street")
    region_vectors = regions_of(store, 12, seed=9, folder="/p/shop")
    query = region_vectors[0]
    buses = store.regions.nearest(query, 1000, labels=["bus"])
    assert len(buses) == 24
    by_id = {r.id: r for r in store.regions.of(sorted({i for _, i, _ in buses}))}
    assert all(by_id[region].region.label == "bus" for region, _, _ in buses)
    either = store.regions.nearest(query, 1000, labels=["bus", "car"])
    assert len(either) == 48
    assert store.regions.nearest(query, 10, sources=["grid"]) == []
    shop = store.regions.nearest(query, 1000, Filters(under=("/p/shop",)), labels=["person"])
    paths = {r.id: r.path for r in store.get(sorted({i for _, i, _ in shop}))}
    assert len(shop) == 12 and all(paths[i].startswith("/p/shop/") for _, i, _ in shop)


def test_replaced_and_deleted_regions_are_not_found(store: Store) -> None:
    region_vectors = regions_of(store, 4, seed=10)
    query = region_vectors[0]
    [(first, image_id, _)] = store.regions.nearest(query, 1)
    store.write(WriteBatch(regions=[RegionSet("annotation", [], image_id=image_id)]))
    assert all(r != first and i != image_id for r, i, _ in store.regions.nearest(query, 100))
    other = store.regions.nearest(query, 1)[0][1]
    store.write(WriteBatch(deletes=[other]))
    assert all(i not in (image_id, other) for _, i, _ in store.regions.nearest(query, 100))
    assert len(store.regions.nearest(query, 100)) == 6


def test_stamps_say_which_pass_made_an_images_regions(store: Store) -> None:
    vectors = unit_vectors(4, seed=20)
    grid = Region("grid", box=Box(0, 0, 8, 8))
    ids = store.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/p/a.jpg"), vectors[0]),
                ImageWrite(facts("/p/b.jpg"), vectors[1]),
            ],
            regions=[
                RegionSet("grid", [(grid, vectors[2])], image_index=0, stamp="grid:v1"),
                RegionSet("grid", [], image_index=1, stamp="grid:v1"),  # none kept, still done
                RegionSet("annotation", [(bus(), vectors[3])], image_index=0),
            ],
        )
    )
    assert store.regions.stamps("grid") == {ids[0]: "grid:v1", ids[1]: "grid:v1"}
    assert store.regions.stamps("annotation") == {}
    store.write(WriteBatch(regions=[RegionSet("grid", [], image_id=ids[1], stamp="grid:v2")]))
    assert store.regions.stamps("grid")[ids[1]] == "grid:v2"
    store.write(WriteBatch(images=[ImageWrite(facts("/p/a.jpg", size=1), vectors[1], id=ids[0])]))
    assert ids[0] not in store.regions.stamps("grid")  # new pixels: the pass must run again
    store.write(WriteBatch(deletes=[ids[1]]))
    assert store.regions.stamps("grid") == {}
    store.write(WriteBatch(regions=[RegionSet("grid", [], image_id=ids[0], stamp="grid:v1")]))
    store.bind(IndexSettings("another-model", DIM), reembed=True)
    assert store.regions.stamps("grid") == {}


def test_the_region_policy_is_kept_by_the_index(store_factory: Any) -> None:
    first = store_factory("policy")
    assert first.documents.get("region_policy") == {}
    policy = {"grid": {"levels": [2, 3], "keep_below": 0.95}, "detector": None}
    first.documents.put("region_policy", policy)
    assert first.documents.get("region_policy") == policy
    first.documents.put("region_policy", {"grid": None, "detector": {"path": "/m.onnx"}})
    first.close()
    again = store_factory("policy")
    assert again.documents.get("region_policy") == {"grid": None, "detector": {"path": "/m.onnx"}}
    # rebinding to another model clears regions, not the policy: they are made again
    again.bind(IndexSettings("test-model", DIM))
    again.bind(IndexSettings("other-model", DIM), reembed=True)
    assert again.documents.get("region_policy") == {"grid": None, "detector": {"path": "/m.onnx"}}


def test_the_calibration_is_kept_by_the_index(store_factory: Any) -> None:
    first = store_factory("calibration")
    assert first.documents.get("calibration") == {}
    fitted = {"slope": 3.5, "intercept": -1.25, "fitted_on": "q.jsonl", "model_id": "m"}
    first.documents.put("calibration", fitted)
    assert first.documents.get("calibration") == fitted
    first.close()
    again = store_factory("calibration")
    assert again.documents.get("calibration") == fitted
    again.documents.put("calibration", {})
    assert again.documents.get("calibration") == {}


def test_label_filters_through_the_hnsw_graphs_return_k_whenever_k_match(
    store_factory: Any,
) -> None:
    """Above the HNSW threshold a label that few regions carry still gives k images (or all
    that have it), found by their best such region; unfiltered, the graphs agree with exact."""
    from imgsearch.query.matching import nearest_images

    store = store_factory("graphs", hnsw_threshold=200)
    store.bind(IndexSettings("test-model", DIM))
    vectors = unit_vectors(300 + 3000, seed=8)
    ids = store.write(
        WriteBatch(images=[ImageWrite(facts(f"/g/{n}.jpg"), vectors[n]) for n in range(300)])
    )
    rare = {7, 40, 41, 99, 150, 151, 152, 200, 230, 260, 290, 299}  # images with one bus each

    def regions(image: int) -> RegionSet:
        group = [
            (bus(label="bus" if image in rare and r == 0 else "car"), vectors[300 + image * 10 + r])
            for r in range(10)
        ]
        return RegionSet("annotation", group, image_id=ids[image])

    store.write(WriteBatch(regions=[regions(n) for n in range(300)]))
    for q in range(5):
        query = vectors[300 + 1000 + q * 7]
        with_bus = nearest_images(store, query, 10, labels=["bus"])
        assert len(with_bus) == 10 and {m.image_id for m in with_bus} <= {ids[n] for n in rare}
        assert len(nearest_images(store, query, 20, labels=["bus"])) == len(rare)
        approximate = {m.image_id for m in nearest_images(store, query, 10)}
        exact = {m.image_id for m in nearest_images(store, query, 10, exact=True)}
        assert len(approximate & exact) >= 9
