"""Images matched by their best vector, whole or region: exactly the brute-force answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgsearch.query.matching import LEAD_DEPTH, QueryLead, nearest_images, query_lead
from imgsearch.store import (
    Box,
    Filters,
    ImageWrite,
    IndexSettings,
    Region,
    RegionSet,
    SqliteStore,
    WriteBatch,
)
from tests.store.conftest import facts, unit_vectors

DIM = 16


@pytest.fixture(params=[10**9, 40], ids=["exact", "hnsw"])
def collection(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """60 images, each with 0–6 regions; the store and, per image, (whole, regions)."""
    store = SqliteStore(tmp_path, hnsw_threshold=request.param)
    store.bind(IndexSettings("m", DIM))
    rng = np.random.default_rng(11)
    vectors = unit_vectors(60 + 60 * 6, seed=12)
    batch = WriteBatch()
    owned: dict[int, list[int]] = {}
    next_row = 60
    for n in range(60):
        folder = "a" if n % 2 else "b"
        batch.images.append(ImageWrite(facts(f"/p/{folder}/{n}.jpg"), vectors[n]))
        count = int(rng.integers(0, 7))
        rows = list(range(next_row, next_row + count))
        next_row += count
        owned[n] = rows
        group = [(Region("grid", Box(0, 0, 8, 8)), vectors[r]) for r in rows]
        batch.regions.append(RegionSet("grid", group, image_index=n))
    ids = store.write(batch)
    yield store, {ids[n]: (vectors[n], vectors[owned[n]]) for n in range(60)}
    store.close()


def brute_force(vectors: dict, query: np.ndarray, k: int, keep=lambda i: True) -> list:  # type: ignore[type-arg, no-untyped-def]
    best = []
    for image_id, (whole, regions) in vectors.items():
        if not keep(image_id):
            continue
        scores = [float(whole @ query), *(float(r @ query) for r in regions)]
        best.append((-max(scores), image_id, int(np.argmax(scores)) > 0))
    return sorted(best)[:k]


def test_the_best_of_whole_and_regions_ranks_exactly(collection) -> None:  # type: ignore[no-untyped-def]
    store, vectors = collection
    queries = unit_vectors(20, seed=13)
    for query in queries:
        found = nearest_images(store, query, 10, exact=store.vector_index().mode == "exact")
        expected = brute_force(vectors, query, 10)
        assert [m.image_id for m in found] == [e[1] for e in expected]
        assert [m.cosine for m in found] == pytest.approx([-e[0] for e in expected], abs=1e-5)
        assert [m.region_id is not None for m in found] == [e[2] for e in expected]


def test_filters_apply_to_regions_through_their_image(collection) -> None:  # type: ignore[no-untyped-def]
    store, vectors = collection
    paths = {r.id: r.path for r in store.get(list(vectors))}
    under_a = Filters(under=("/p/a",))
    for query in unit_vectors(10, seed=14):
        found = nearest_images(store, query, 7, under_a, exact=True)
        expected = brute_force(vectors, query, 7, keep=lambda i: paths[i].startswith("/p/a/"))
        assert [m.image_id for m in found] == [e[1] for e in expected]


def test_whole_images_only_is_the_plain_search(collection) -> None:  # type: ignore[no-untyped-def]
    store, _ = collection
    query = unit_vectors(1, seed=15)[0]
    found = nearest_images(store, query, 10, regions=False, exact=True)
    assert [(m.image_id, m.cosine) for m in found] == store.nearest(query, 10, exact=True)
    assert all(m.region_id is None for m in found)


def test_a_querys_lead_is_its_best_margin_over_rivals_among_the_nearest_pictures(
    collection,  # type: ignore[no-untyped-def]
) -> None:
    store, vectors = collection
    query, rivals = unit_vectors(1, seed=30)[0], unit_vectors(4, seed=31)
    whole = np.stack([vectors[i][0] for i in vectors])
    nearest = np.argsort(-(whole @ query))[:LEAD_DEPTH]
    margins = whole @ query - (whole @ rivals.T).max(axis=1)
    # grid patches are not objects: the whole pictures alone are looked at
    found = query_lead(store, query, rivals, exact=True)
    assert found is not None and found.value == pytest.approx(margins[nearest].max())
    first = nearest[0]  # the picture nearest the query: a rival describes it better, or none
    better = (whole[first] @ rivals.T).argmax()
    expected = better if whole[first] @ rivals[better] > whole[first] @ query else None
    assert found.beaten_by == expected
    assert query_lead(store, query, None) is None  # no rivals, no lead


def test_an_object_box_the_query_describes_best_gives_the_lead(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.bind(IndexSettings("m", DIM))
    query, rival = unit_vectors(2, seed=40)
    # every picture is its rival's; one holds a small box of what the query names
    pictures = [rival / np.linalg.norm(rival) for _ in range(3)]
    batch = WriteBatch()
    for n, vector in enumerate(pictures):
        batch.images.append(ImageWrite(facts(f"/p/{n}.jpg"), vector.astype(np.float32)))
    box = [(Region("annotation", Box(1, 1, 4, 4), label="it"), query)]
    batch.regions.append(RegionSet("annotation", box, image_index=1))
    store.write(batch)
    rivals = rival[None, :]
    found = query_lead(store, query, rivals, exact=True)
    assert found == QueryLead(pytest.approx(1.0 - float(query @ rival)), None)
    # the boxes not asked for: the pictures alone, all better described by the rival
    alone = query_lead(store, query, rivals, exact=True, sources=("grid",))
    assert alone == QueryLead(pytest.approx(float(rival @ query) - 1.0), 0)
    store.close()
