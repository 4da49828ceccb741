"""Retrieval precision of a model on a generated collection, judged by its labels.

Any model can be measured (the demo model, an untrained stand-in, real CLIP):
images are embedded through the normal :class:`~imgsearch.Embedder` (real
decoding, preprocessing and ONNX inference) and ranked by cosine similarity.

- **text → image**: one query per colour + shape that has at least ``k``
  images in the collection, phrased ``"red circle"``; a hit is right when the
  image contains a red circle.
- **image → image**: images with a single object as queries; a hit (the query
  itself excluded) is right when it contains that object's colour + shape.
- **region → image**: a box around one object of a multi-object image; a hit
  (the source image excluded) is right when it contains that colour + shape.

Each number is precision@k averaged over its queries.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.demo.collection import Collection, LabeledImage, iter_names
from imgsearch.models.embedder import Embedder
from imgsearch.types import Box

MAX_EXAMPLE_QUERIES = 200


@dataclass(frozen=True)
class Evaluation:
    k: int
    images: int
    text_precision: float
    text_queries: int
    image_precision: float
    image_queries: int
    region_precision: float
    region_queries: int

    def to_dict(self) -> dict[str, Any]:
        return {key: round(v, 4) if isinstance(v, float) else v for key, v in asdict(self).items()}


def evaluate(embedder: Embedder, collection: Collection, *, k: int = 10) -> Evaluation:
    images = collection.images
    vectors = embedder.embed_images([str(image.path) for image in images])
    counts = {
        name: sum(image.contains(name) for image in images) for name in iter_names(collection)
    }

    names = [name for name, count in counts.items() if count >= k]
    text = embedder.embed_texts(names) if names else np.empty((0, embedder.dim), np.float32)
    text_scores = [
        _precision(vectors @ q, images, name, k, exclude=-1)
        for q, name in zip(text, names, strict=True)
    ]

    rng = random.Random(collection.seed)
    singles = [
        i
        for i, image in enumerate(images)
        if len(image.objects) == 1 and counts[image.objects[0].name] > k
    ]
    singles = _sample(rng, singles)
    image_scores = [
        _precision(vectors @ vectors[i], images, images[i].objects[0].name, k, exclude=i)
        for i in singles
    ]

    multis = [i for i, image in enumerate(images) if len(image.objects) > 1]
    regions = []
    for i in _sample(rng, multis):
        target = rng.choice(images[i].objects)
        if counts[target.name] > k:
            regions.append((i, target))
    crops = (
        embedder.embed_images(
            [str(images[i].path) for i, _ in regions],
            boxes=[Box(*target.box) for _, target in regions],
        )
        if regions
        else np.empty((0, embedder.dim), np.float32)
    )
    region_scores = [
        _precision(vectors @ q, images, target.name, k, exclude=i)
        for q, (i, target) in zip(crops, regions, strict=True)
    ]
    return Evaluation(
        k=k,
        images=len(images),
        text_precision=_mean(text_scores),
        text_queries=len(text_scores),
        image_precision=_mean(image_scores),
        image_queries=len(image_scores),
        region_precision=_mean(region_scores),
        region_queries=len(region_scores),
    )


def _precision(
    scores: NDArray[np.float32], images: tuple[LabeledImage, ...], name: str, k: int, exclude: int
) -> float:
    if exclude >= 0:
        scores = scores.copy()
        scores[exclude] = -np.inf
    top = np.argsort(-scores, kind="stable")[:k]
    return sum(images[int(j)].contains(name) for j in top) / k


def _sample(rng: random.Random, indices: list[int]) -> list[int]:
    return (
        sorted(rng.sample(indices, MAX_EXAMPLE_QUERIES))
        if len(indices) > MAX_EXAMPLE_QUERIES
        else indices
    )


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0
