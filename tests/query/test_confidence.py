"""Confidence: the null fit, the calibration, and the cut-off as ranking applies it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgsearch.errors import InvalidQuery
from imgsearch.query.calibration import PRIOR, Calibration, Platt
from imgsearch.query.confidence import Confidence, expected_max
from imgsearch.query.expression import Query, QueryPart
from imgsearch.query.ranking import rank
from imgsearch.store import Filters, ImageWrite, IndexSettings, SqliteStore, WriteBatch
from tests.store.conftest import facts

DIM = 32
PLANTED = 25


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _collection(
    tmp_path: Path, unrelated: int = 2000, seed: int = 0
) -> tuple[SqliteStore, np.ndarray]:
    """``unrelated`` random images under /a and /b, and ``PLANTED`` images close to one
    direction (returned) under /a and /b alternately."""
    rng = np.random.default_rng(seed)
    target = _unit(rng.standard_normal(DIM))
    planted = _unit(target + 0.1 * rng.standard_normal((PLANTED, DIM)))
    store = SqliteStore(tmp_path / "index")
    store.bind(IndexSettings("test-model", DIM))
    _add(store, [f"/{'ab'[i % 2]}/match-{i}.jpg" for i in range(PLANTED)], planted)
    _grow(store, unrelated, seed)
    return store, target


def _grow(store: SqliteStore, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed + 1000)
    _add(
        store,
        [f"/{'ab'[i % 2]}/x{seed}-{i}.jpg" for i in range(count)],
        _unit(rng.standard_normal((count, DIM))),
    )


def _add(store: SqliteStore, paths: list[str], vectors: np.ndarray) -> None:
    store.write(
        WriteBatch(images=[ImageWrite(facts(p), v) for p, v in zip(paths, vectors, strict=True)])
    )


def _query(**options: object) -> Query:
    return Query((QueryPart(text="anything"),), metadata_weight=0.0, **options)  # type: ignore[arg-type]


def test_expected_max_is_the_typical_largest_of_n_unrelated_scores() -> None:
    rng = np.random.default_rng(3)
    maxima = rng.standard_normal((400, 5000)).max(axis=1)
    assert abs(np.median(maxima) - expected_max(5000)) < 0.3
    assert expected_max(1) == 0.0


def test_auto_cut_keeps_the_real_matches_and_returns_nothing_for_an_absent_query(
    tmp_path: Path,
) -> None:
    store, target = _collection(tmp_path)
    confidence = Confidence(PRIOR)
    hits = rank(store, target, _query(top=100, min_confidence="auto"), confidence)
    assert {Path(h.image.path).name.split("-")[0] for h in hits} == {"match"}
    assert len(hits) == PLANTED
    assert all(h.confidence is not None and h.confidence >= 0.5 for h in hits)
    uncut = rank(store, target, _query(top=100), confidence)
    assert len(uncut) == 100 and uncut[PLANTED].confidence < 0.5
    # a query for something the collection does not hold: a direction nothing is near
    rng = np.random.default_rng(11)
    empty = [
        not rank(store, _unit(rng.standard_normal(DIM)), _query(min_confidence="auto"), confidence)
        for _ in range(40)
    ]
    assert sum(empty) >= 36
    store.close()


def test_the_cut_off_pages_and_filters_consistently(tmp_path: Path) -> None:
    store, target = _collection(tmp_path)
    confidence = Confidence(PRIOR)
    whole = rank(store, target, _query(top=100, min_confidence=0.6), confidence)
    pages = [
        rank(store, target, _query(top=7, offset=offset, min_confidence=0.6), confidence)
        for offset in range(0, 35, 7)
    ]
    assert [h.id for page in pages for h in page] == [h.id for h in whole]
    assert [h.rank for page in pages for h in page] == list(range(1, len(whole) + 1))
    under_a = rank(
        store,
        target,
        _query(top=100, min_confidence=0.6, filters=Filters(under=("/a",))),
        confidence,
    )
    assert {h.id for h in under_a} == {h.id for h in whole if h.image.path.startswith("/a/")}
    assert rank(store, target, _query(min_confidence=1.0), confidence) == []
    store.close()


def test_the_cut_keeps_a_hit_whose_words_match_whatever_its_cosine(tmp_path: Path) -> None:
    store, target = _collection(tmp_path)
    confidence = Confidence(PRIOR)
    captioned = store.get([PLANTED + 5])[0]  # an unrelated image
    store.annotate(captioned.id, caption="a quokka at sunset", tags=[])
    query = Query((QueryPart(text="quokka"),), top=100, min_confidence=0.6)
    hits = rank(store, target, query, confidence)
    assert captioned.id in {h.id for h in hits}
    kept = next(h for h in hits if h.id == captioned.id)
    assert kept.confidence is not None and kept.confidence < 0.6  # shown as it is
    strict = rank(store, target, _query(top=100, min_confidence=0.6), confidence)
    assert captioned.id not in {h.id for h in strict}  # without the words it is cut
    assert {h.id for h in strict} <= {h.id for h in hits}
    store.close()


def test_confidence_stays_put_as_the_collection_grows(tmp_path: Path) -> None:
    store, target = _collection(tmp_path, unrelated=2000)
    now = [0.0]
    confidence = Confidence(PRIOR, size=512, max_age=60, clock=lambda: now[0])
    before = rank(store, target, _query(top=PLANTED), confidence)
    sample = confidence.sample(store)
    _grow(store, 2000, seed=7)
    # the sample is kept until it ages (or the index says it changed) ...
    assert confidence.sample(store) is sample
    now[0] = 61.0
    grown = confidence.sample(store)
    assert grown.population == 2000 + 2000 + PLANTED
    assert 180 <= len(set(grown.ids) & set(sample.ids)) <= 330  # about half stays
    after = rank(store, target, _query(top=PLANTED), confidence)
    assert [h.id for h in after] == [h.id for h in before]
    shifts = [abs(a.confidence - b.confidence) for a, b in zip(after, before, strict=True)]
    assert max(shifts) < 0.1
    store.close()


def test_a_sample_read_while_the_index_was_empty_is_answered_and_then_replaced(
    tmp_path: Path,
) -> None:
    """A server's first search of an empty index reads an empty sample; the searches made
    as its first run fills the index read it again (no error, confidences from the first
    32 images on), and once another model's vectors are in the index (re-embedded
    meanwhile), it is read again at once, however young."""
    store = SqliteStore(tmp_path / "index")
    confidence = Confidence(PRIOR, max_age=60, clock=lambda: 0.0)
    target = _unit(np.ones(DIM, np.float32))
    assert confidence.null(store, target) is None  # empty: nothing to tell
    store.bind(IndexSettings("test-model", DIM))
    _grow(store, 100, seed=3)
    hits = rank(store, target, _query(top=5), confidence)
    assert len(hits) == 5 and all(h.confidence is not None for h in hits)
    wider = SqliteStore(tmp_path / "index")
    wider.bind(IndexSettings("wider-model", 2 * DIM), reembed=True)
    rng = np.random.default_rng(4)
    records = wider.files_under(["/"])
    wider.write(
        WriteBatch(
            images=[
                ImageWrite(facts(r.path), v)
                for r, v in zip(
                    records, _unit(rng.standard_normal((len(records), 2 * DIM))), strict=True
                )
            ]
        )
    )
    assert confidence.sample(store).whole.shape[1] == DIM  # ages as usual ...
    null = confidence.null(store, _unit(np.ones(2 * DIM, np.float32)))
    assert null is not None and null.population == 100  # ... but not across models
    wider.close()
    store.close()


def test_a_tiny_collection_has_no_confidence_and_no_cut(tmp_path: Path) -> None:
    store, target = _collection(tmp_path, unrelated=0)
    hits = rank(store, target, _query(top=100, min_confidence="auto"), Confidence(PRIOR))
    assert len(hits) == PLANTED and all(h.confidence is None for h in hits)
    store.close()


def test_min_confidence_is_checked() -> None:
    for bad in (1.5, -0.1, "high"):
        with pytest.raises(InvalidQuery, match="min_confidence"):
            _query(min_confidence=bad)


def test_a_query_the_model_cannot_read_has_confidence_zero_and_only_its_words_survive_a_cut(
    tmp_path: Path,
) -> None:
    store, target = _collection(tmp_path)
    confidence = Confidence(PRIOR)
    captioned = store.get([PLANTED + 5])[0]
    store.annotate(captioned.id, caption="a quokka at sunset", tags=[])
    query = Query((QueryPart(text="quokka"),), top=100)
    read = rank(store, target, query, confidence)
    assert max(h.confidence or 0.0 for h in read) >= 0.5  # the planted matches look real
    unread = rank(store, target, query, confidence, readable=False)
    assert [h.id for h in unread] == [h.id for h in read]  # the ranking is the same
    assert {h.confidence for h in unread} == {0.0}
    cut = Query((QueryPart(text="quokka"),), top=100, min_confidence="auto")
    assert [h.id for h in rank(store, target, cut, confidence, readable=False)] == [captioned.id]
    assert rank(store, target, _query(min_confidence=0.01), confidence, readable=False) == []
    # a cut at 0 keeps everything
    assert (
        len(rank(store, target, _query(top=50, min_confidence=0.0), confidence, readable=False))
        == 50
    )
    store.close()


def test_an_anchored_calibration_empties_a_query_whose_best_hits_are_unlike_any_true_match(
    tmp_path: Path,
) -> None:
    """Hits far above this query's null but at a cosine the model's true matches never
    have: relative evidence alone calls them sure, the anchor does not."""
    store, target = _collection(tmp_path)
    rng = np.random.default_rng(11)
    other = rng.standard_normal(DIM)
    other -= (other @ target) * target
    weaker = _unit(0.8 * target + 0.6 * _unit(other))  # the planted images at cosine ~0.7
    relative = Calibration(Platt({"excess": 4.0}, 4.0), "relative only")
    anchored = Calibration(
        relative.fallback,
        "anchored",
        {"text/image": Platt({"excess": 1.0, "cosine": 100.0}, -83.0)},  # even odds near 0.83
    )
    query = _query(top=100, min_confidence="auto")
    assert len(rank(store, weaker, query, Confidence(relative))) >= PLANTED - 3
    assert rank(store, weaker, query, Confidence(anchored)) == []
    found = rank(store, target, query, Confidence(anchored))  # true matches: still found
    assert len(found) >= PLANTED - 3 and all(
        h.image.path.split("/")[2].startswith("match") for h in found
    )
