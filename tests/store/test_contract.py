"""The store contract: behaviour every store implementation must show identically."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from imgsearch.errors import IndexBusy, ModelMismatch, NotIndexed
from imgsearch.store import (
    Failure,
    Filters,
    ImageWrite,
    IndexSettings,
    Run,
    Store,
    WriteBatch,
)
from imgsearch.store.folders import suggest_folders
from tests.store.conftest import DIM, facts, unit_vectors


def add(store: Store, paths: list[str], vectors: np.ndarray, **fields: object) -> list[int]:
    batch = WriteBatch(
        images=[ImageWrite(facts(p, **fields), v) for p, v in zip(paths, vectors, strict=True)]
    )
    return store.write(batch)


def test_ids_are_assigned_in_batch_order_and_records_round_trip(store: Store) -> None:
    vectors = unit_vectors(3)
    ids = add(store, ["/p/a.jpg", "/p/b.jpg", "/p/c.jpg"], vectors, camera="Canon EOS")
    assert ids == sorted(ids) and len(set(ids)) == 3
    records = store.get([ids[2], ids[0]])
    assert [r.path for r in records] == ["/p/c.jpg", "/p/a.jpg"]
    assert records[0].camera == "Canon EOS" and records[0].width == 640
    np.testing.assert_array_equal(store.vectors(ids), vectors)


def test_repeating_a_batch_updates_rows_instead_of_duplicating(store: Store) -> None:
    vectors = unit_vectors(2)
    first = add(store, ["/p/a.jpg", "/p/b.jpg"], vectors)
    again = add(store, ["/p/a.jpg", "/p/b.jpg"], vectors[::-1])
    assert first == again
    assert store.stats().images == 2
    np.testing.assert_array_equal(store.vectors(first), vectors[::-1])


def test_update_without_vector_keeps_the_vector_and_moves_the_path(store: Store) -> None:
    vectors = unit_vectors(1)
    (image_id,) = add(store, ["/p/a.jpg"], vectors)
    store.write(WriteBatch(images=[ImageWrite(facts("/q/renamed.jpg"), None, id=image_id)]))
    assert store.find_path("/p/a.jpg") is None
    moved = store.find_path("/q/renamed.jpg")
    assert moved is not None and moved.id == image_id
    np.testing.assert_array_equal(store.vectors([image_id]), vectors)


def test_a_thumbprint_is_written_with_its_vector_and_kept_without_one(store: Store) -> None:
    vectors = unit_vectors(3)
    prints = [bytes([n]) * 256 for n in range(3)]
    batch = WriteBatch(
        images=[
            ImageWrite(facts(f"/p/{n}.jpg"), vectors[n], thumbprint=prints[n] if n < 2 else None)
            for n in range(3)
        ]
    )
    first, second, third = store.write(batch)  # new rows: inserted (COPY on PostgreSQL)
    assert store.thumbprints([first, second, third]) == {first: prints[0], second: prints[1]}
    store.write(WriteBatch(images=[ImageWrite(facts("/p/0-moved.jpg"), None, id=first)]))
    assert store.thumbprints([first]) == {first: prints[0]}  # a move keeps it
    store.write(WriteBatch(images=[ImageWrite(facts("/p/1.jpg"), vectors[0], id=second)]))
    assert store.thumbprints([second]) == {}  # a new vector without one drops the old
    updated = ImageWrite(facts("/p/2.jpg"), vectors[2], id=third, thumbprint=prints[2])
    store.write(WriteBatch(images=[updated]))  # an update in place
    assert store.thumbprints([third]) == {third: prints[2]}
    assert {f.path: f.has_thumbprint for f in store.files_under([])}["/p/1.jpg"] is False
    store.set_thumbprints({second: prints[1], 10**9: prints[0]})  # an id that is gone: ignored
    assert store.thumbprints([first, second, third]) == dict(
        zip((first, second, third), prints, strict=True)
    )
    assert all(f.has_thumbprint for f in store.files_under([]))


def test_a_failed_batch_writes_nothing(store: Store) -> None:
    good, bad = unit_vectors(1)[0], np.ones(DIM + 1, dtype=np.float32)
    batch = WriteBatch(
        images=[ImageWrite(facts("/p/a.jpg"), good), ImageWrite(facts("/p/b.jpg"), bad)]
    )
    with pytest.raises(ModelMismatch):
        store.write(batch)
    assert store.stats().images == 0


def test_nearest_equals_brute_force_with_ties_broken_by_id(store: Store) -> None:
    vectors = unit_vectors(300, seed=1)
    vectors[10] = vectors[20]  # an exact tie
    ids = add(store, [f"/p/{i:04}.jpg" for i in range(300)], vectors)
    for query in (vectors[20], unit_vectors(1, seed=9)[0]):
        hits = store.nearest(query, 10)
        scores = vectors @ query
        expected = sorted(range(300), key=lambda i: (-scores[i], ids[i]))[:10]
        assert [h[0] for h in hits] == [ids[i] for i in expected]
        np.testing.assert_allclose([h[1] for h in hits], scores[expected], atol=1e-6)


def test_filters_are_exact_and_return_k_when_k_match(store: Store) -> None:
    vectors = unit_vectors(200, seed=2)
    # siblings that sort next to 'rome/' byte-wise ('-' < '/' < '0') must stay out
    folders = {0: "rome", 1: "rome0", 2: "rome-old", 3: "rome/sub"}
    paths = [f"/photos/{folders.get(i % 20, 'home')}/{i:04}.jpg" for i in range(200)]
    ids = add(store, paths, vectors)
    hits = store.nearest(vectors[1], 10, Filters(under=("/photos/rome",)))
    assert len(hits) == 10
    assert all(store.get([h[0]])[0].path.startswith("/photos/rome/") for h in hits)
    assert len(store.nearest(vectors[1], 50, Filters(under=("/photos/rome",)))) == 20
    # '/photos/ro' is not a folder prefix of '/photos/rome/...'
    assert store.nearest(vectors[1], 10, Filters(under=("/photos/ro",))) == []
    assert {h[0] for h in store.nearest(vectors[0], 200)} == set(ids)


def test_time_size_and_format_filters(store: Store) -> None:
    vectors = unit_vectors(4, seed=3)
    day = 86_400.0
    store.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/p/old.jpg", captured_at=1000 * day), vectors[0]),
                ImageWrite(facts("/p/new.jpg", captured_at=2000 * day), vectors[1]),
                # no capture time: its mtime (day 1500) counts
                ImageWrite(
                    facts("/p/mid.png", format="PNG", mtime_ns=int(1500 * day * 1e9)), vectors[2]
                ),
                ImageWrite(
                    facts("/p/small.jpg", width=32, height=32, captured_at=1800 * day), vectors[3]
                ),
            ]
        )
    )

    def paths(filters: Filters) -> set[str]:
        return {r.path for r in store.get([h[0] for h in store.nearest(vectors[0], 10, filters)])}

    assert paths(Filters(after=1400 * day, before=1900 * day)) == {"/p/mid.png", "/p/small.jpg"}
    assert paths(Filters(formats=("PNG",))) == {"/p/mid.png"}
    # what people type: any case, and the extensions' spellings (jpg, tif, heic)
    jpegs = {"/p/old.jpg", "/p/new.jpg", "/p/small.jpg"}
    assert paths(Filters(formats=("jpg",))) == paths(Filters(formats=(" Jpeg ",))) == jpegs
    assert Filters(formats=("tif", "heic", "webp")).formats == ("TIFF", "HEIF", "WEBP")
    assert paths(Filters(min_width=100, min_height=100)) == {
        "/p/old.jpg",
        "/p/new.jpg",
        "/p/mid.png",
    }


def test_an_items_kind_is_stored_and_the_media_filter_selects_it(store: Store) -> None:
    vectors = unit_vectors(3, seed=4)
    store.write(
        WriteBatch(
            images=[
                ImageWrite(facts("/p/still.jpg"), vectors[0]),
                ImageWrite(facts("/p/clip.mp4", duration=3.0, kind="video"), vectors[1]),
                ImageWrite(facts("/p/brochure.pdf", format="PDF", kind="pdf"), vectors[2]),
            ]
        )
    )

    def kinds(media: str | None) -> dict[str, str]:
        found = store.nearest(vectors[0], 10, Filters(media=media))
        return {r.path: r.kind for r in store.get([h[0] for h in found])}

    assert kinds(None) == {
        "/p/still.jpg": "image",
        "/p/clip.mp4": "video",
        "/p/brochure.pdf": "pdf",
    }
    assert kinds("pdf") == {"/p/brochure.pdf": "pdf"}
    assert kinds("image") == {"/p/still.jpg": "image"}
    videos = {
        r.path for r in store.get([h[0] for h in store.nearest(vectors[0], 10)]) if r.is_video
    }
    assert videos == {"/p/clip.mp4"}
    stats = store.stats()
    assert dict(stats.kinds) == {"image": 1, "pdf": 1, "video": 1}
    assert (stats.images, stats.vectors, stats.videos) == (3, 3, 1)


def test_deleted_images_disappear_from_search_and_reads(store: Store) -> None:
    vectors = unit_vectors(3, seed=4)
    ids = add(store, ["/p/a.jpg", "/p/b.jpg", "/p/c.jpg"], vectors)
    store.write(WriteBatch(deletes=[ids[1]]))
    assert {h[0] for h in store.nearest(vectors[1], 5)} == {ids[0], ids[2]}
    assert store.get([ids[1]]) == []
    assert store.files_under(["/p"])[0].path == "/p/a.jpg"


def test_files_under_lists_only_that_folder(store: Store) -> None:
    add(store, ["/a/x.jpg", "/a/b/y.jpg", "/ab/z.jpg"], unit_vectors(3))
    assert [f.path for f in store.files_under(["/a"])] == ["/a/b/y.jpg", "/a/x.jpg"]
    assert all(f.has_vector for f in store.files_under(["/a"]))


def test_paths_from_reads_in_byte_order_for_folder_suggestions(store: Store) -> None:
    paths = ["/p/a b/1.jpg", "/p/a/1.jpg", "/p/a/z/2.jpg", "/p/a0.jpg", "/p/é/3.jpg", "/p/Z/4.jpg"]
    add(store, paths, unit_vectors(len(paths)))
    assert store.paths_from("/p/a", 3) == ["/p/a b/1.jpg", "/p/a/1.jpg", "/p/a/z/2.jpg"]
    assert store.paths_from("/p/a0", 10) == ["/p/a0.jpg", "/p/é/3.jpg"]
    assert store.paths_from("/q", 10) == []
    assert suggest_folders(store.paths_from, "/p/") == ["/p/Z/", "/p/a b/", "/p/a/", "/p/é/"]
    assert suggest_folders(store.paths_from, "/p/a") == ["/p/a b/", "/p/a/"]
    assert suggest_folders(store.paths_from, "/p/a/") == ["/p/a/z/"]


def test_digest_lookup_finds_vectors_for_duplicates(store: Store) -> None:
    vectors = unit_vectors(1)
    add(store, ["/p/a.jpg"], vectors)
    assert store.has_vector_for("digest-of-/p/a.jpg")
    assert not store.has_vector_for("unknown")
    np.testing.assert_array_equal(store.vector_for("digest-of-/p/a.jpg"), vectors[0])


def test_metadata_matches_rank_by_bm25_and_respect_filters(store: Store) -> None:
    add(
        store,
        [
            "/pets/golden-retriever_pool.jpg",
            "/pets/catNap.png",
            "/trips/retriever.jpg",
            "/x/IMG_1.jpg",
        ],
        unit_vectors(4),
    )
    hits = store.metadata_matches("retriever", 10)
    paths = [store.get([i])[0].path for i, _ in hits]
    assert set(paths) == {"/pets/golden-retriever_pool.jpg", "/trips/retriever.jpg"}
    assert all(score > 0 for _, score in hits)
    assert [store.get([i])[0].path for i, _ in store.metadata_matches("cat", 10)] == [
        "/pets/catNap.png"
    ]
    filtered = store.metadata_matches("retriever", 10, Filters(under=("/trips",)))
    assert [store.get([i])[0].path for i, _ in filtered] == ["/trips/retriever.jpg"]
    assert store.metadata_matches('"); DROP TABLE images; --', 10) == []


def test_annotations_feed_the_metadata_score(store: Store) -> None:
    (image_id,) = add(store, ["/p/IMG_0001.jpg"], unit_vectors(1))
    assert store.metadata_matches("birthday", 10) == []
    store.annotate(image_id, caption="Anna's birthday cake", tags=["family"])
    assert [i for i, _ in store.metadata_matches("birthday", 10)] == [image_id]
    assert [i for i, _ in store.metadata_matches("family", 10)] == [image_id]
    record = store.get([image_id])[0]
    assert record.caption == "Anna's birthday cake" and record.tags == ("family",)
    with pytest.raises(NotIndexed):
        store.annotate(image_id + 100, caption="x", tags=[])


def test_model_guard_refuses_another_model_and_reembed_drops_vectors(
    store: Store,
) -> None:
    add(store, ["/p/a.jpg"], unit_vectors(1))
    store.bind(IndexSettings("test-model", DIM))  # same model: fine
    with pytest.raises(ModelMismatch) as caught:
        store.bind(IndexSettings("other-model", 32))
    assert (caught.value.indexed, caught.value.requested) == ("test-model", "other-model")
    assert "re-embed" in caught.value.hint  # the interfaces name their own flag for it
    store.bind(IndexSettings("other-model", 32), reembed=True)
    settings = store.settings()
    assert settings is not None and settings.model_id == "other-model" and settings.dim == 32
    assert store.stats().images == 1 and store.stats().vectors == 0
    assert store.nearest(np.ones(32, dtype=np.float32) / np.sqrt(32), 5) == []
    assert not store.files_under(["/p"])[0].has_vector


def test_failures_are_recorded_updated_and_resolved(store: Store) -> None:
    store.write(WriteBatch(failures=[Failure("/p/bad.jpg", 10, 5, "CorruptImage", "truncated")]))
    store.write(WriteBatch(failures=[Failure("/p/bad.jpg", 11, 6, "CorruptImage", "still bad")]))
    (failure,) = store.failures(["/p"])
    assert (failure.size, failure.message) == (11, "still bad")
    assert store.stats().failures == 1
    store.write(WriteBatch(resolved=["/p/bad.jpg"]))
    assert store.failures() == []


def test_failures_are_read_a_page_at_a_time(store: Store) -> None:
    paths = [f"/p/{name}.jpg" for name in ("d", "a", "c", "b", "e")]
    store.write(WriteBatch(failures=[Failure(p, 1, 1, "CorruptImage", "bad") for p in paths]))
    assert [f.path for f in store.failures()] == sorted(paths)
    assert [f.path for f in store.failures(limit=2, offset=1)] == ["/p/b.jpg", "/p/c.jpg"]
    assert [f.path for f in store.failures(["/p"], limit=10, offset=4)] == ["/p/e.jpg"]
    assert store.failures(limit=3, offset=5) == []


def test_runs_are_recorded_and_the_last_one_is_reported(store: Store) -> None:
    run_id = store.record_run(Run(started_at=1.0, finished_at=None, roots=("/p",)))
    store.record_run(
        Run(started_at=1.0, finished_at=2.0, roots=("/p",), added=3, failed=1, completed=True),
        run_id,
    )
    last = store.stats().last_run
    assert last is not None and last.added == 3 and last.failed == 1 and last.completed


def test_a_second_connection_sees_committed_batches(
    store_factory: Callable[..., Store],
) -> None:
    writer = store_factory("shared")
    writer.bind(IndexSettings("test-model", DIM))
    reader = store_factory("shared")
    vectors = unit_vectors(20, seed=5)
    first = add(writer, [f"/p/{i:02}.jpg" for i in range(10)], vectors[:10])
    assert {h[0] for h in reader.nearest(vectors[0], 20)} == set(first)
    second = add(writer, [f"/p/{i:02}.jpg" for i in range(10, 20)], vectors[10:])
    writer.write(WriteBatch(deletes=first[:5]))
    assert {h[0] for h in reader.nearest(vectors[0], 20)} == set(first[5:] + second)


def test_a_reader_that_searched_the_empty_index_finds_what_a_writer_adds_later(
    store_factory: Callable[..., Store],
) -> None:
    """The server's first-run flow: search an empty index, then index a folder from
    another connection (``POST /v1/index``, ``imgsearch index``), then search again. The
    first search saw no model and no dimension; the later ones must not reuse what it saw
    (that made every later search of the embedded store fail until a restart)."""
    reader = store_factory("fresh")
    query = unit_vectors(1, seed=8)[0]
    assert reader.nearest(query, 5) == [] and reader.regions.nearest(query, 5) == []
    writer = store_factory("fresh")
    writer.bind(IndexSettings("test-model", DIM))
    vectors = unit_vectors(6, seed=8)
    ids = add(writer, [f"/p/{i}.jpg" for i in range(6)], vectors)
    assert reader.nearest(vectors[3], 1)[0][0] == ids[3]
    assert {h[0] for h in reader.nearest(query, 10)} == set(ids)


def test_approximate_search_still_filters_exactly_and_reports_exact_cosines(
    store_factory: Callable[..., Store],
) -> None:
    store = store_factory("big", hnsw_threshold=500)
    store.bind(IndexSettings("test-model", DIM))
    vectors = unit_vectors(2000, seed=6)
    paths = [f"/p/{'a' if i % 50 == 0 else 'b'}/{i:05}.jpg" for i in range(2000)]
    ids = add(store, paths, vectors)
    for under, expected in (("/p/a", 10), ("/p/b", 10)):
        hits = store.nearest(vectors[3], 10, Filters(under=(under,)))
        assert len(hits) == expected
        got = store.vectors([h[0] for h in hits]) @ vectors[3]
        np.testing.assert_allclose([h[1] for h in hits], got, atol=1e-6)
        assert all(paths[ids.index(h[0])].startswith(under + "/") for h in hits)
    assert store.nearest(vectors[7], 1)[0][0] == ids[7]


def test_searches_on_many_threads_while_another_store_object_writes(
    store_factory: Callable[..., Store],
) -> None:
    """A server searches one store from many threads while an indexer writes to it."""
    reader = store_factory("shared", hnsw_threshold=300)
    writer = store_factory("shared", hnsw_threshold=300)
    writer.bind(IndexSettings("test-model", DIM))
    vectors = unit_vectors(1200, seed=11)
    paths = [f"/photos/trip/{i:05}.jpg" for i in range(1200)]
    ids = add(writer, paths[:200], vectors[:200])
    done = threading.Event()

    def search_until_done(seed: int) -> int:
        query, rounds = unit_vectors(1, seed=seed)[0], 0
        while not done.is_set() or rounds == 0:
            hits = reader.nearest(query, 10)
            scores = [s for _, s in hits]
            assert len(hits) == 10 and scores == sorted(scores, reverse=True)
            assert len(reader.get([i for i, _ in hits])) == 10
            assert len(reader.metadata_matches("trip", 5)) == 5
            rounds += 1
        return rounds

    with ThreadPoolExecutor(4) as pool:
        searching = [pool.submit(search_until_done, seed) for seed in range(4)]
        for start in range(200, 1200, 100):  # crosses the HNSW threshold on the way
            ids += add(writer, paths[start : start + 100], vectors[start : start + 100])
        done.set()
        assert all(f.result() > 0 for f in searching)  # re-raises any thread's failure
        queries = unit_vectors(8, seed=99)
        found = list(pool.map(lambda q: reader.nearest(q, 10, exact=True), queries))
    for query, hits in zip(queries, found, strict=True):
        expected = np.argsort(-(vectors @ query), kind="stable")[:10]
        assert [i for i, _ in hits] == [ids[j] for j in expected]


def test_the_confidence_sample_is_drawn_by_a_fixed_hash_and_grows_with_the_collection(
    store: Store,
) -> None:
    from imgsearch.query.confidence import sample_key

    ids = add(store, [f"/p/{i}.jpg" for i in range(300)], unit_vectors(300))
    sample, population = store.sample_images(40)
    assert population == 300
    assert sample == sorted(ids, key=lambda i: (sample_key(i), i))[:40]
    more = add(store, [f"/q/{i}.jpg" for i in range(300)], unit_vectors(300, seed=1))
    grown, population = store.sample_images(40)
    assert population == 600
    assert grown == sorted(ids + more, key=lambda i: (sample_key(i), i))[:40]
    # the sample moves only as much as the collection did: about half stays
    assert 10 <= len(set(sample) & set(grown)) <= 30
    store.write(WriteBatch(deletes=[grown[0]]))
    after, population = store.sample_images(40)
    assert population == 599 and grown[0] not in after and after[:39] == grown[1:]


def test_duplicates_are_found_the_same_way_on_every_store(store: Store) -> None:
    from imgsearch.duplicates.report import find_duplicates
    from imgsearch.duplicates.score import DEMO_SHAPES
    from imgsearch.duplicates.thumbprint import SIZE

    vectors = unit_vectors(4, seed=3)
    vectors[1] = vectors[0]  # a copy (other bytes, same picture)
    prints = [bytes(range(256)) * (SIZE // 256), *(bytes([n]) * SIZE for n in range(3))]
    prints[1] = prints[0]
    batch = WriteBatch(
        images=[
            ImageWrite(
                facts(f"/p/{n}.jpg", width=640, height=480), vectors[n], thumbprint=prints[n]
            )
            for n in range(4)
        ]
    )
    store.write(batch)
    report = find_duplicates(store, DEMO_SHAPES)
    assert [[m.path for m in group.members] for group in report.groups] == [
        ["/p/0.jpg", "/p/1.jpg"]
    ]
    assert report.groups[0].members[0].width == 640 and report.pictures == 4


def test_one_index_run_of_the_same_files_at_a_time(store_factory: Callable[..., Store]) -> None:
    """Two runs of the same folders at once each counted the other's additions as
    duplicates: the second is refused at once; runs of different parts go together."""
    first, second = store_factory("shared"), store_factory("shared")
    with first.run_lock("all"):
        with pytest.raises(IndexBusy, match="already writing"), second.run_lock("all"):
            pass
        with (
            second.run_lock("1/2"),
            first.run_lock("0/2"),
            pytest.raises(IndexBusy, match="part 1/2"),
            first.run_lock("1/2"),
        ):
            pass
    with second.run_lock("all"):  # released by its holder
        pass
    entered: list[str] = []
    with first.run_lock("all"):
        waiting = threading.Thread(target=lambda: _enter(second, entered))
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive() and entered == []  # waits while the first run writes
    waiting.join(10)
    assert entered == ["in"]


def _enter(store: Store, entered: list[str]) -> None:
    with store.run_lock("all", wait=True):
        entered.append("in")
