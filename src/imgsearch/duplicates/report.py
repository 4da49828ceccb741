"""Groups of duplicate pictures in an index: what ``imgsearch duplicates``, the
``/v1/duplicates`` endpoint and the page show. Only reports — nothing is deleted."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imgsearch.duplicates.find import (
    Pairs,
    PairScorer,
    grow_groups,
    nearest_pairs,
    same_bytes_pairs,
)
from imgsearch.duplicates.score import DEFAULT_MIN_CONFIDENCE, PairCalibration
from imgsearch.errors import InvalidQuery
from imgsearch.store import ImageRecord, Store

MAX_GROUPS = 10_000
"""Groups one report lists (the largest first); the totals count all of them."""


@dataclass(frozen=True)
class PairScore:
    """Why two pictures of a group are linked: their vectors' cosine, how well their
    thumbprints agree (best quarter turn; ``None`` without thumbprints) and the
    confidence that one is a copy of the other."""

    left: str
    right: str
    cosine: float
    layout: float | None
    confidence: float
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "left": self.left,
            "right": self.right,
            "cosine": round(self.cosine, 4),
            "layout": None if self.layout is None else round(self.layout, 4),
            "confidence": round(self.confidence, 4),
            "exact": self.exact,
        }


@dataclass(frozen=True)
class DuplicateGroup:
    """Pictures that are copies of each other. ``members[0]`` is the one to keep if one
    must be chosen: the most pixels, then the largest file, then the oldest."""

    kind: str
    """``exact`` (all the same bytes) or ``near``."""
    members: tuple[ImageRecord, ...]
    pairs: tuple[PairScore, ...]
    """The links that made the group, at most a few per member (not every pair)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "members": [_member(record) for record in self.members],
            "pairs": [pair.to_dict() for pair in self.pairs],
        }


@dataclass(frozen=True)
class DuplicateReport:
    groups: tuple[DuplicateGroup, ...]
    group_count: int
    """All groups found (``groups`` lists at most ``MAX_GROUPS``)."""
    pictures: int
    """Pictures compared (those with a vector, under the chosen folders)."""
    min_confidence: float
    calibration: str
    seconds: float
    exact_groups: int = 0
    duplicate_pictures: int = 0
    """Pictures in a group other than its first: what could be freed."""
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": [group.to_dict() for group in self.groups],
            "group_count": self.group_count,
            "exact_groups": self.exact_groups,
            "duplicate_pictures": self.duplicate_pictures,
            "pictures": self.pictures,
            "min_confidence": self.min_confidence,
            "calibration": self.calibration,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


def _member(record: ImageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "path": record.path,
        "size": record.size,
        "width": record.width,
        "height": record.height,
        "format": record.format,
        "date": record.sort_time,
        "digest": record.digest,
    }


def find_duplicates(
    store: Store,
    calibration: PairCalibration,
    *,
    under: Sequence[str] | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    limit: int = MAX_GROUPS,
    on_stage: Callable[[str], None] | None = None,
) -> DuplicateReport:
    """Group the pictures of ``store`` (under the folders ``under``, all by default)
    whose pair confidence reaches ``min_confidence``, and those with the same bytes.
    ``on_stage`` hears each stage's name as it begins (reading, neighbours, scoring,
    grouping)."""
    if not 0 < min_confidence < 1:
        raise InvalidQuery(f"min_confidence must lie between 0 and 1, not {min_confidence}")
    stage = on_stage or (lambda name: None)
    started = time.perf_counter()
    stage("reading")
    files = [row for row in store.files_under(list(under or [])) if row.has_vector]
    ids = [row.id for row in files]
    digests = [row.digest for row in files]
    vectors = store.vectors(ids) if ids else np.empty((0, 1), np.float32)
    prints = _with_twins(store.thumbprints(ids) if ids else {}, ids, digests)
    stage("neighbours")
    left, right, cosine = nearest_pairs(vectors, calibration.cosine_floor(min_confidence))
    stage("scoring")
    same_left, same_right = same_bytes_pairs(digests)
    sizes = [(row.width, row.height) for row in files]
    scorer = PairScorer(vectors, prints, digests, sizes, calibration)
    left, right = np.concatenate([left, same_left]), np.concatenate([right, same_right])
    cosine = np.concatenate([cosine, scorer.cosines(same_left, same_right)])
    _, first = np.unique(left.astype(np.int64) * max(len(ids), 1) + right, return_index=True)
    pairs = scorer.score(left[first], right[first], cosine[first])
    pairs = pairs.where(pairs.confidence >= min_confidence)
    stage("grouping")
    positions = grow_groups(
        len(ids), pairs, lambda a, b: scorer.score(a, b).confidence, min_confidence
    )
    notes = []
    if prints.count(None):
        notes.append(
            f"{prints.count(None)} pictures have no thumbprint (indexed before thumbprints "
            "were stored, or videos): their pairs are scored by cosine and shape alone"
        )
    groups = _groups(store, positions[:limit], ids, digests, pairs)
    return DuplicateReport(
        groups=tuple(groups),
        group_count=len(positions),
        exact_groups=sum(_all_same(digests, g) for g in positions),
        duplicate_pictures=sum(len(g) - 1 for g in positions),
        pictures=len(ids),
        min_confidence=min_confidence,
        calibration=calibration.source,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def _with_twins(found: dict[int, bytes], ids: list[int], digests: list[str]) -> list[bytes | None]:
    """Thumbprints in ``ids`` order; a picture indexed as a copy of stored bytes (no
    decode, so no thumbprint of its own) borrows its twin's."""
    by_digest = {digest: found[i] for i, digest in zip(ids, digests, strict=True) if i in found}
    return [found.get(i, by_digest.get(d)) for i, d in zip(ids, digests, strict=True)]


def _all_same(digests: list[str], positions: list[int]) -> bool:
    return len({digests[p] for p in positions}) == 1


def _groups(
    store: Store, positions: list[list[int]], ids: list[int], digests: list[str], pairs: Pairs
) -> list[DuplicateGroup]:
    wanted = sorted({ids[p] for group in positions for p in group})
    records = {record.id: record for record in store.get(wanted)} if wanted else {}
    group_of = {p: number for number, group in enumerate(positions) for p in group}
    links: dict[int, list[int]] = {}  # the pairs inside a group, by their left member
    for n, (left, right) in enumerate(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True)):
        if left in group_of and group_of[left] == group_of.get(right):
            links.setdefault(left, []).append(n)
    groups = []
    for group in positions:
        members = sorted((records[ids[p]] for p in group), key=_keeper_order)
        scores = [
            PairScore(
                records[ids[int(pairs.left[n])]].path,
                records[ids[int(pairs.right[n])]].path,
                float(pairs.cosine[n]),
                None if np.isnan(pairs.layout[n]) else float(pairs.layout[n]),
                float(pairs.confidence[n]),
                bool(pairs.exact[n]),
            )
            for p in group
            for n in links.get(p, [])
        ]
        kind = "exact" if _all_same(digests, group) else "near"
        groups.append(DuplicateGroup(kind, tuple(members), tuple(scores)))
    return groups


def _keeper_order(record: ImageRecord) -> tuple[float, float, float, str]:
    pixels = (record.width or 0) * (record.height or 0)
    return (-pixels, -record.size, record.sort_time, record.path)
