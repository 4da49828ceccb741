"""Label debugging: annotated boxes whose label the model disagrees with.

Each labelled region's vector is compared, zero-shot, with the text vectors of the
collection's own label set written into a prompt ("a photo of a {label}"): the label the
model prefers is the one whose text is most similar. A region whose given label is not
the preferred one is a *suspect*, ranked by the **margin** — how much more similar the
preferred label's text is than the given one's — so the likeliest mislabelled boxes come
first. This is what an ML team runs to find the boxes to look at again.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from imgsearch.errors import InvalidQuery, TextNotSupported
from imgsearch.models.encoder import Encoder
from imgsearch.query.expression import check_model
from imgsearch.store import ImageRecord, RegionRecord, Store

DEFAULT_PROMPT = "a photo of a {}"
PAGE = 10_000
"""Regions scored at once: their vectors (and one score per label each) are all that is held."""
TEXT_BATCH = 256


@dataclass(frozen=True)
class Suspect:
    """A region whose given label the model likes less than ``preferred``, by ``margin``."""

    region: RegionRecord
    image: ImageRecord
    given: str
    preferred: str
    margin: float
    given_score: float
    preferred_score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "region": self.region.as_dict(),
            "image_id": self.image.id,
            "path": self.image.path,
            "given": self.given,
            "preferred": self.preferred,
            "margin": round(self.margin, 6),
            "given_score": round(self.given_score, 6),
            "preferred_score": round(self.preferred_score, 6),
        }


@dataclass
class SuspectReport:
    """The label set, how many regions were checked and disagreed, and the worst ones."""

    labels: dict[str, int]
    checked: int = 0
    disagreeing: int = 0
    suspects: list[Suspect] = field(default_factory=list)


def label_suspects(
    store: Store,
    encoder: Encoder,
    *,
    limit: int = 100,
    prompt: str = DEFAULT_PROMPT,
    source: str | None = "annotation",
    on_progress: Callable[[int], None] | None = None,
) -> SuspectReport:
    """The ``limit`` labelled regions (from ``source``) the model most disagrees with."""
    if "{}" not in prompt:
        raise InvalidQuery(f"the prompt {prompt!r} has no {{}} for the label")
    if not encoder.supports_text:
        raise TextNotSupported(
            f"{encoder.model_id} embeds images only: it cannot read label names",
            hint="check labels with an image-text model (CLIP, SigLIP)",
        )
    check_model(store, encoder)
    labels = store.regions.labels(source=source)
    report = SuspectReport(labels)
    if len(labels) < 2:
        return report
    names = list(labels)
    texts = np.concatenate(
        [
            encoder.embed_texts([prompt.format(n) for n in names[i : i + TEXT_BATCH]])
            for i in range(0, len(names), TEXT_BATCH)
        ]
    )
    column = {name: n for n, name in enumerate(names)}
    best: list[tuple[float, int, RegionRecord, int, int, float, float]] = []
    after = 0
    while page := store.regions.labelled(source=source, after=after, limit=PAGE):
        after = page[-1].id
        scores = store.regions.vectors([r.id for r in page]) @ texts.T
        given = np.array([column[r.region.label or ""] for r in page])
        rows = np.arange(len(page))
        preferred = scores.argmax(axis=1)
        margins = scores[rows, preferred] - scores[rows, given]
        wrong = np.flatnonzero(preferred != given)
        report.checked += len(page)
        report.disagreeing += len(wrong)
        for n in wrong:
            entry = (
                float(margins[n]), -page[n].id, page[n], int(given[n]), int(preferred[n]),
                float(scores[n, given[n]]), float(scores[n, preferred[n]]),
            )  # fmt: skip
            if len(best) < limit:
                heapq.heappush(best, entry)
            elif entry[:2] > best[0][:2]:
                heapq.heapreplace(best, entry)
        if on_progress is not None:
            on_progress(report.checked)
    ordered = sorted(best, key=lambda e: (-e[0], -e[1]))
    images = {r.id: r for r in store.get(list({e[2].image_id for e in ordered}))}
    report.suspects = [
        Suspect(region, images[region.image_id], names[g], names[p], margin, g_score, p_score)
        for margin, _, region, g, p, g_score, p_score in ordered
        if region.image_id in images
    ]
    return report
