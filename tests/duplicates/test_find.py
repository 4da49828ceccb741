"""Candidate pairs (exact and through FAISS), same-bytes links, and groups that do not
chain two families of copies through one look-alike."""

from __future__ import annotations

import numpy as np
import pytest

from imgsearch.duplicates import find
from imgsearch.duplicates.find import Pairs, grow_groups, nearest_pairs, same_bytes_pairs


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def planted(count: int, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """``count`` random unit vectors of 64-d; every 10th has a near copy planted last."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(count, 64))
    copies = base[::10] + rng.normal(scale=0.05, size=base[::10].shape)
    vectors = unit(np.vstack([base, copies]))
    truth = {(i * 10, count + i) for i in range(len(copies))}
    return vectors, truth


def test_nearest_pairs_finds_the_planted_copies_and_nothing_below_the_floor() -> None:
    vectors, truth = planted(500)
    left, right, cosine = nearest_pairs(vectors, floor=0.9)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == truth
    assert (left < right).all() and (cosine >= 0.9).all()


def test_the_faiss_path_agrees_with_the_exact_one(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, truth = planted(3000, seed=1)
    monkeypatch.setattr(find, "EXACT_LIMIT", 100)
    left, right, _ = nearest_pairs(vectors, floor=0.9)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == truth


def test_one_picture_or_none_gives_no_pairs() -> None:
    for count in (0, 1):
        left, _, _ = nearest_pairs(np.ones((count, 4), np.float32) / 2, floor=0.0)
        assert len(left) == 0


def test_same_bytes_link_to_the_first_copy_not_every_pair() -> None:
    left, right = same_bytes_pairs(["a", "b", "a", "a", "c", "b"])
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 2), (0, 3), (1, 5)]


def pairs(links: list[tuple[int, int, float]], exact: tuple[int, ...] = ()) -> Pairs:
    left = np.array([a for a, _, _ in links], np.intp)
    right = np.array([b for _, b, _ in links], np.intp)
    confidence = np.array([c for _, _, c in links])
    flags = np.array([n in exact for n in range(len(links))])
    zeros = np.zeros(len(links), np.float32)
    return Pairs(left, right, zeros, zeros, confidence, flags)


def test_one_look_alike_link_does_not_chain_two_families() -> None:
    # families {0, 1, 2} and {3, 4, 5}; 2 and 3 look alike (0.6), nothing else across
    family = {frozenset((a, b)) for f in ((0, 1, 2), (3, 4, 5)) for a in f for b in f}
    links = [(0, 1, 0.99), (1, 2, 0.97), (0, 2, 0.95), (3, 4, 0.99), (4, 5, 0.98), (2, 3, 0.6)]

    def confidence_of(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.array(
            [0.95 if frozenset((a, b)) in family else (0.6 if {a, b} == {2, 3} else 0.01)
             for a, b in zip(left.tolist(), right.tolist(), strict=True)]
        )  # fmt: skip

    assert grow_groups(6, pairs(links), confidence_of, 0.5) == [[0, 1, 2], [3, 4, 5]]
    # with connected components the look-alike would have made one group of six; a chain
    # of copies that all agree still grows into one group
    agree = lambda left, right: np.full(len(left), 0.9)  # noqa: E731
    assert grow_groups(6, pairs(links), agree, 0.5) == [[0, 1, 2, 3, 4, 5]]


def test_same_bytes_come_first_and_a_look_alike_must_agree_with_all_of_them() -> None:
    links = [(1, 2, 0.9), (0, 1, 1.0), (3, 4, 1.0)]
    refuse = lambda left, right: np.zeros(len(left))  # noqa: E731
    groups = grow_groups(5, pairs(links, exact=(1, 2)), refuse, 0.5)
    assert groups == [[0, 1], [3, 4]]  # 2 stays alone: it disagrees with 0
