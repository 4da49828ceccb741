"""How well a box around a small object finds other images containing that object.

The measurement issue 15 asks for, on a labelled collection (the ``scenes`` mode of the
generator: 3–8 objects, most of them small, in clutter). Queries are boxes drawn around
one ``tiny`` or ``small`` object of an image (its labelled box with ``padding`` of its
size added on each side, as a person draws one), for objects whose colour + shape is in
more than ``k`` other images. A hit is right when its image contains an object of the
same colour and shape (the query's own image is left out). Each query is run against
every index given, through :meth:`imgsearch.Index.rank` — the same code as every
interface — so the numbers compare:

- ``whole``: whole-image vectors only (``Query(regions=False)``), what search did before
  regions existed;
- each named index with its regions (an image's cosine: the best of its whole-image and
  region vectors), e.g. one holding the collection's annotation boxes and one holding
  grid patches.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from imgsearch.demo.collection import Collection, LabeledImage, LabeledObject
from imgsearch.index import Index
from imgsearch.query.expression import Query, QueryPart, encode_query
from imgsearch.types import Box

SMALL_SIZES = ("tiny", "small")


@dataclass(frozen=True)
class BoxQuery:
    image: LabeledImage
    target: LabeledObject
    box: Box


@dataclass(frozen=True)
class ObjectPrecision:
    """Mean precision@``k`` over ``queries`` box queries, per way of searching."""

    k: int
    queries: int
    precision: dict[str, float]


def box_queries(
    collection: Collection, count: int, *, k: int = 10, padding: float = 0.1, seed: int = 0
) -> list[BoxQuery]:
    """Up to ``count`` boxes around small objects, each in a different image."""
    holding: dict[str, int] = {}
    for image in collection.images:
        for name in {o.name for o in image.objects}:
            holding[name] = holding.get(name, 0) + 1
    rng = random.Random(f"box-queries/{seed}")
    order = list(collection.images)
    rng.shuffle(order)
    queries = []
    for image in order:
        small = [
            o for o in image.objects if o.size in SMALL_SIZES and holding[o.name] > k
        ]  # fmt: skip
        if not small:
            continue
        target = rng.choice(small)
        queries.append(BoxQuery(image, target, _padded(target.box, padding, image)))
        if len(queries) == count:
            break
    return queries


def _padded(box: tuple[int, int, int, int], padding: float, image: LabeledImage) -> Box:
    x, y, w, h = box
    left, top = max(0, x - padding * w), max(0, y - padding * h)
    right, bottom = min(image.width, x + w + padding * w), min(image.height, y + h + padding * h)
    return Box(round(left), round(top), round(right - left), round(bottom - top))


def object_precision(
    collection: Collection,
    queries: list[BoxQuery],
    indexes: Mapping[str, Index],
    *,
    k: int = 10,
) -> ObjectPrecision:
    """Precision@``k`` of ``queries`` against whole images (the first index, regions off)
    and against each of ``indexes`` with its regions."""
    if not indexes:
        raise ValueError("object_precision needs at least one index")
    first = next(iter(indexes.values()))
    ways: dict[str, tuple[Index, bool]] = {"whole": (first, False)}
    ways.update({name: (index, True) for name, index in indexes.items()})
    labels = collection.by_path()
    scores: dict[str, list[float]] = {name: [] for name in ways}
    for query in queries:
        part = QueryPart(image=str(query.image.path), box=query.box)
        vector = encode_query([part], first.images, first.store)
        for name, (index, regions) in ways.items():
            hits = index.rank(vector, Query((part,), top=k + 1, regions=regions))
            others = [hit for hit in hits if hit.image.path != str(query.image.path)][:k]
            right = sum(
                hit.image.path in labels and labels[hit.image.path].contains(query.target.name)
                for hit in others
            )
            scores[name].append(right / k)
    return ObjectPrecision(
        k, len(queries), {name: float(np.mean(s)) if s else 0.0 for name, s in scores.items()}
    )
