"""Finding near-duplicate pairs among a collection's vectors, and grouping them.

Every picture is compared with its :data:`NEIGHBOURS` nearest pictures by vector — all
of them exactly up to :data:`EXACT_LIMIT` pictures, through an inverted-file FAISS index
above (a copy's vector is so close to its original's that the approximate search does
not miss it) — and only pairs whose cosine could still reach the threshold are scored.
Memory stays ``pictures × NEIGHBOURS`` pairs, whatever the collection looks like.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.duplicates.score import PairCalibration
from imgsearch.duplicates.thumbprint import SIZE, as_grids, layout_agreement
from imgsearch.lazy import LazyModule

faiss: Any = LazyModule("faiss")

NEIGHBOURS = 16
"""Nearest pictures each picture is compared with: a picture with more near copies than
this is still grouped with all of them, through its copies' own neighbours."""
EXACT_LIMIT = 20_000
"""Up to this many pictures, all pairs are compared exactly (a few seconds on 2 cores)."""
PROBES = 8
"""Inverted lists (of 2√N) searched per picture above :data:`EXACT_LIMIT`: a copy's vector
falls in its original's list or a neighbouring one."""
BLOCK = 1024  # rows of the similarity matrix computed at once (BLOCK × pictures floats)
PAIR_BLOCK = 8192  # pairs whose thumbprints are compared at once (≈ 25 MB a side)


@dataclass(frozen=True)
class Pairs:
    """Scored pairs of pictures (positions in the input), ``left < right``."""

    left: NDArray[np.intp]
    right: NDArray[np.intp]
    cosine: NDArray[np.float32]
    layout: NDArray[np.float32]
    """Thumbprint agreement; NaN where either picture has no thumbprint."""
    confidence: NDArray[np.float64]
    exact: NDArray[np.bool_]
    """Same bytes (same SHA-256): confidence 1."""

    def __len__(self) -> int:
        return len(self.left)

    def where(self, keep: NDArray[np.bool_]) -> Pairs:
        return Pairs(
            self.left[keep],
            self.right[keep],
            self.cosine[keep],
            self.layout[keep],
            self.confidence[keep],
            self.exact[keep],
        )


def nearest_pairs(
    vectors: NDArray[np.float32], floor: float, neighbours: int = NEIGHBOURS
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Each picture's nearest pictures with cosine ≥ ``floor``, as unique pairs
    ``(left, right, cosine)`` with ``left < right``; ``vectors`` are unit rows."""
    count = len(vectors)
    k = min(neighbours, count - 1)
    if k < 1:
        empty = np.empty(0, np.intp)
        return empty, empty, np.empty(0, np.float32)
    if count <= EXACT_LIMIT:
        scores, found = _exact_neighbours(vectors, k)
    else:
        scores, found = _approximate_neighbours(vectors, k)
    rows = np.repeat(np.arange(count), found.shape[1])
    cols, sims = found.reshape(-1), scores.reshape(-1)
    keep = (cols >= 0) & (cols != rows) & (sims >= floor)
    rows, cols, sims = rows[keep], cols[keep], sims[keep]
    left, right = np.minimum(rows, cols), np.maximum(rows, cols)
    _, first = np.unique(left.astype(np.int64) * count + right, return_index=True)
    return left[first], right[first], sims[first].astype(np.float32)


def _exact_neighbours(
    vectors: NDArray[np.float32], k: int
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    count = len(vectors)
    scores = np.empty((count, k), np.float32)
    found = np.empty((count, k), np.intp)
    for start in range(0, count, BLOCK):
        block = vectors[start : start + BLOCK] @ vectors.T
        rows = np.arange(len(block))
        block[rows, start + rows] = -np.inf  # not its own neighbour
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        found[start : start + len(block)] = top
        scores[start : start + len(block)] = np.take_along_axis(block, top, axis=1)
    return scores, found


def _approximate_neighbours(
    vectors: NDArray[np.float32], k: int
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    count, dim = vectors.shape
    lists = max(1, int(2 * math.sqrt(count)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(count, size=min(count, 40 * lists), replace=False)]
    index.train(np.ascontiguousarray(sample))
    index.add(np.ascontiguousarray(vectors))
    index.nprobe = min(lists, PROBES)
    scores, found = index.search(np.ascontiguousarray(vectors), k + 1)  # +1: itself
    return scores, found


class PairScorer:
    """Scores any pairs of a collection's pictures: thumbprint agreement, shape and
    confidence (the thumbprints are unpacked and filtered once, here). ``sizes`` are the
    pictures' (width, height), ``None`` where unknown; a thumbprint of the wrong length
    (not written by this version) counts as missing."""

    def __init__(
        self,
        vectors: NDArray[np.float32],
        prints: Sequence[bytes | None],
        digests: Sequence[str],
        sizes: Sequence[tuple[int | None, int | None]],
        calibration: PairCalibration,
    ) -> None:
        self.vectors = vectors
        usable = [p if p is not None and len(p) == SIZE else None for p in prints]
        self.has_print = np.array([p is not None for p in usable], dtype=bool)
        self.grids = as_grids([p if p is not None else bytes(SIZE) for p in usable])
        self.digests = np.asarray(digests, dtype=object)
        self.aspects = np.array(
            [np.log(w / h) if w and h else np.nan for w, h in sizes], dtype=np.float64
        )
        self.calibration = calibration

    def cosines(self, left: NDArray[np.intp], right: NDArray[np.intp]) -> NDArray[np.float32]:
        """The cosine of each pair's vectors, a block of pairs at a time."""
        cosine = np.empty(len(left), np.float32)
        for start in range(0, len(left), PAIR_BLOCK):
            end = start + PAIR_BLOCK
            a, b = self.vectors[left[start:end]], self.vectors[right[start:end]]
            cosine[start:end] = np.einsum("nd,nd->n", a, b)
        return cosine

    def score(
        self,
        left: NDArray[np.intp],
        right: NDArray[np.intp],
        cosine: NDArray[np.float32] | None = None,
    ) -> Pairs:
        """Pairs ``(left[n], right[n])`` scored; a pair with the same bytes is an exact
        duplicate (confidence 1) whatever its vectors say."""
        if cosine is None:
            cosine = self.cosines(left, right)
        layout = np.full(len(left), np.nan, np.float32)
        both = np.flatnonzero(self.has_print[left] & self.has_print[right])
        for start in range(0, len(both), PAIR_BLOCK):  # bounded memory: a block at a time
            pairs = both[start : start + PAIR_BLOCK]
            layout[pairs] = layout_agreement(self.grids[left[pairs]], self.grids[right[pairs]])
        first, second = self.aspects[left], self.aspects[right]
        # a quarter turn swaps the sides: the shape's gap is the smaller of the two readings
        gap = np.nan_to_num(np.minimum(np.abs(first - second), np.abs(first + second)))
        confidence = self.calibration.confidence(cosine, layout, gap)
        exact = np.asarray(self.digests[left] == self.digests[right], dtype=bool)
        confidence[exact] = 1.0
        return Pairs(left, right, cosine.astype(np.float32), layout, confidence, exact)


def same_bytes_pairs(digests: Sequence[str]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pictures with the same bytes, each linked to the first with them (a star, not all
    pairs: a thousand copies are a thousand links, not half a million)."""
    first: dict[str, int] = {}
    left, right = [], []
    for position, digest in enumerate(digests):
        owner = first.setdefault(digest, position)
        if owner != position:
            left.append(owner)
            right.append(position)
    return np.array(left, dtype=np.intp), np.array(right, dtype=np.intp)


SAMPLE = 32
"""Members of each side compared before two groups merge (bounds the work per merge)."""


def grow_groups(
    count: int,
    pairs: Pairs,
    confidence_of: Callable[[NDArray[np.intp], NDArray[np.intp]], NDArray[np.float64]],
    min_confidence: float,
) -> list[list[int]]:
    """Groups of positions, largest first, each sorted, from ``pairs`` (those at or above
    ``min_confidence``), surest first.

    Why not simply connected components: one look-alike link would chain two families of
    copies (and then a third) into one group. Two groups merge only when their members
    agree on average — the mean confidence over the pairs across them (up to
    :data:`SAMPLE` members a side, scored by ``confidence_of``) reaches ``min_confidence``.
    Same-bytes pairs (confidence 1) always merge.
    """
    members: dict[int, list[int]] = {}
    owner = list(range(count))
    order = np.lexsort((pairs.right, pairs.left, -pairs.confidence))
    for n in order.tolist():
        a, b = owner[int(pairs.left[n])], owner[int(pairs.right[n])]
        if a == b:
            continue
        group_a, group_b = members.get(a, [a]), members.get(b, [b])
        if not pairs.exact[n] and len(group_a) + len(group_b) > 2:
            left = np.repeat(np.array(group_a[:SAMPLE]), len(group_b[:SAMPLE]))
            right = np.tile(np.array(group_b[:SAMPLE]), len(group_a[:SAMPLE]))
            if float(np.mean(confidence_of(left, right))) < min_confidence:
                continue
        keep, gone = (a, b) if len(group_a) >= len(group_b) else (b, a)
        merged = members.pop(keep, [keep]) + members.pop(gone, [gone])
        for position in merged:
            owner[position] = keep
        members[keep] = merged
    return sorted((sorted(g) for g in members.values()), key=lambda g: (-len(g), g[0]))
