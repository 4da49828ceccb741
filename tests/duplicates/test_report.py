"""``find_duplicates`` on a store written by hand: the threshold is a confidence, pairs
and groups obey it, same bytes always group, folders and the limit are respected, and
pictures without thumbprints are scored by their cosine and shape alone (and said so)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgsearch.duplicates.report import find_duplicates
from imgsearch.duplicates.score import DEMO_SHAPES
from imgsearch.duplicates.thumbprint import SIZE
from imgsearch.errors import InvalidQuery
from imgsearch.store import ImageFacts, ImageWrite, IndexSettings, SqliteStore, WriteBatch

DIM = 32


def at_cosine(base: np.ndarray, cosine: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector at exactly ``cosine`` from the unit vector ``base``."""
    other = rng.standard_normal(base.shape)
    other -= other @ base * base
    other /= np.linalg.norm(other)
    return (cosine * base + np.sqrt(1 - cosine**2) * other).astype(np.float32)


def confidence_at(cosine: float) -> float:
    return float(DEMO_SHAPES.confidence(np.array([cosine]), np.array([1.0]))[0])


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """Pairs at three cosines (same thumbprint and shape), one pair of same bytes (one of
    them without a thumbprint), a picture without one, 20 unrelated pictures; a/ and b/."""
    rng = np.random.default_rng(7)
    opened = SqliteStore(tmp_path / "index")
    opened.bind(IndexSettings("demo-shapes", DIM))
    batch = WriteBatch()

    def add(path: str, vector: np.ndarray, thumbprint: bytes | None, digest: str = "") -> None:
        facts = ImageFacts(path, 1000, 10**18, digest or path, 640, 480)
        batch.images.append(ImageWrite(facts, vector, thumbprint=thumbprint))

    for name, cosine in (("high", 0.75), ("middle", 0.705), ("low", 0.68)):
        base = rng.standard_normal(DIM)
        base /= np.linalg.norm(base)
        print_ = rng.integers(0, 256, SIZE, dtype=np.uint8).tobytes()
        add(f"/p/a/{name}.jpg", base.astype(np.float32), print_)
        add(f"/p/b/{name}-copy.jpg", at_cosine(base, cosine, rng), print_)
    same = rng.standard_normal(DIM).astype(np.float32)
    same /= np.linalg.norm(same)
    add("/p/a/same.png", same, bytes(SIZE), digest="same-bytes")
    add("/p/b/same-again.png", same, None, digest="same-bytes")
    add("/p/a/indexed-long-ago.jpg", same[::-1].copy(), None)  # no thumbprint, no twin
    for n in range(20):
        vector = rng.standard_normal(DIM).astype(np.float32)
        add(f"/p/a/other{n}.jpg", vector / np.linalg.norm(vector), rng.bytes(SIZE))
    opened.write(batch)
    return opened


def names(report: object) -> list[list[str]]:
    return [sorted(m.path.rsplit("/", 1)[-1] for m in g.members) for g in report.groups]  # type: ignore[attr-defined]


def test_the_threshold_is_a_confidence_and_same_bytes_always_group(store: SqliteStore) -> None:
    high, middle, low = confidence_at(0.75), confidence_at(0.705), confidence_at(0.68)
    assert low < 0.5 < middle < 0.9 < high  # the pairs straddle the thresholds used below
    same = ["same-again.png", "same.png"]
    default = find_duplicates(store, DEMO_SHAPES)
    assert sorted(names(default)) == sorted([["high-copy.jpg", "high.jpg"],
                                             ["middle-copy.jpg", "middle.jpg"], same])  # fmt: skip
    strict = find_duplicates(store, DEMO_SHAPES, min_confidence=0.9)
    assert sorted(names(strict)) == sorted([["high-copy.jpg", "high.jpg"], same])
    loose = find_duplicates(store, DEMO_SHAPES, min_confidence=0.01)
    assert ["low-copy.jpg", "low.jpg"] in names(loose)
    for report, threshold in ((default, 0.5), (strict, 0.9), (loose, 0.01)):
        assert all(p.confidence >= threshold for g in report.groups for p in g.pairs)
    pair = next(p for g in default.groups for p in g.pairs if "middle" in p.left)
    assert pair.confidence == pytest.approx(middle, abs=2e-3)  # cosine stored as float32
    assert pair.layout == pytest.approx(1.0) and pair.cosine == pytest.approx(0.705, abs=1e-5)
    exact = next(g for g in default.groups if g.kind == "exact")
    assert exact.pairs[0].exact and exact.pairs[0].confidence == 1.0
    assert default.exact_groups == 1 and default.duplicate_pictures == 3
    assert default.pictures == 29
    # the same-bytes twin without a thumbprint borrowed its twin's; the other is counted
    assert default.notes and "1 pictures have no thumbprint" in default.notes[0]


def test_folders_and_the_limit(store: SqliteStore) -> None:
    assert names(find_duplicates(store, DEMO_SHAPES, under=["/p/b"])) == []
    limited = find_duplicates(store, DEMO_SHAPES, limit=1)
    assert len(limited.groups) == 1 and limited.group_count == 3


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.5, 2.0])
def test_a_threshold_outside_0_1_is_refused(store: SqliteStore, threshold: float) -> None:
    with pytest.raises(InvalidQuery):
        find_duplicates(store, DEMO_SHAPES, min_confidence=threshold)


def test_an_empty_index_has_no_duplicates(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "empty") as empty:
        report = find_duplicates(empty, DEMO_SHAPES)
    assert report.groups == () and report.pictures == 0
