"""A tag vocabulary: the phrases an index tags its pictures with, and how each is asked.

Zero-shot tagging asks the text tower about every phrase of the vocabulary once and
compares its vector with every picture's: a picture gets a tag when a search for that
phrase would call the picture a match (:mod:`imgsearch.tags.scoring`). The phrase is
asked through a **template** (CLIP families: ``"a photo of a {}."``, the prompt their
zero-shot benchmarks use), the tag stored is the phrase itself.

Defaults, by model:

- a closed-vocabulary model whose manifest groups its words into slots (``demo-shapes``:
  colours and shapes, :mod:`imgsearch.models.vocabulary`) gets its own phrases: every word
  of every slot and every combination across the slots ("red", "star", "red star"),
  asked as written (``"{}"``);
- any other model (CLIP, SigLIP, …) gets ``everyday.txt`` — about 300 everyday concepts
  (people, animals, vehicles, food, places, weather, objects), written for imgsearch and
  distributed under its licence — through the CLIP template.

A user's own vocabulary replaces the default (``imgsearch tags vocabulary``); it is kept
in the index, so every process tags alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from imgsearch.errors import InvalidQuery
from imgsearch.models.vocabulary import Vocabulary

MAX_TAGS = 5000
"""Most phrases in a vocabulary: tagging asks the text tower once per phrase, and keeps
one column per phrase while it compares (5,000 × 4,096 pictures × 4 bytes = 82 MB)."""
MAX_TAG_LENGTH = 100
"""Most characters in one phrase."""
CLIP_TEMPLATE = "a photo of a {}."
"""How a phrase is asked of a CLIP-family text tower (its zero-shot prompt)."""
DEFAULT_THRESHOLD = 0.5
"""Least confidence a picture needs to get a tag: more likely a match than not, the same
automatic cut search applies (:data:`imgsearch.query.confidence.AUTO_CONFIDENCE`)."""
DOCUMENT = "tag_vocabulary"
"""The store document a user's vocabulary is kept in."""


@dataclass(frozen=True)
class TagVocabulary:
    """The phrases to tag with, how each is asked, and the confidence a tag needs."""

    tags: tuple[str, ...]
    template: str = "{}"
    threshold: float = DEFAULT_THRESHOLD
    origin: str = "custom"
    """Where the phrases come from, in words (``custom``: the user's)."""
    enabled: bool = True
    """Whether index runs tag the pictures they add (``imgsearch tags off`` stops it)."""
    custom: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        cleaned = tuple(dict.fromkeys(t.strip() for t in self.tags if t.strip()))
        object.__setattr__(self, "tags", cleaned)
        if len(cleaned) > MAX_TAGS:
            raise InvalidQuery(f"{len(cleaned)} tags in a vocabulary; at most {MAX_TAGS}")
        long = next((t for t in cleaned if len(t) > MAX_TAG_LENGTH), None)
        if long is not None:
            raise InvalidQuery(
                f"a tag of {len(long)} characters ({long[:40]!r}…); at most {MAX_TAG_LENGTH}"
            )
        if self.template.count("{}") != 1 or len(self.template) > 200:
            raise InvalidQuery(
                f"the tag template {self.template!r} must hold exactly one {{}}",
                hint='for example "a photo of a {}."',
            )
        if not 0.0 < self.threshold <= 1.0:
            raise InvalidQuery(f"a tag threshold of {self.threshold} is not in (0, 1]")

    def prompt(self, tag: str) -> str:
        """What the text tower is asked for ``tag``."""
        return self.template.replace("{}", tag)

    def with_tags(self, tags: Iterable[str]) -> TagVocabulary:
        """The same vocabulary with other phrases: the user's own from now on."""
        return replace(self, tags=tuple(tags), origin="custom", custom=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tags": list(self.tags),
            "template": self.template,
            "threshold": self.threshold,
            "origin": self.origin,
            "enabled": self.enabled,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> TagVocabulary:
        return cls(
            tags=tuple(str(t) for t in stored.get("tags", ())),
            template=str(stored.get("template", "{}")),
            threshold=float(stored.get("threshold", DEFAULT_THRESHOLD)),
            origin=str(stored.get("origin", "custom")),
            enabled=bool(stored.get("enabled", True)),
        )


def everyday() -> tuple[str, ...]:
    """The default phrases of open-vocabulary models (``everyday.txt``)."""
    text = resources.files("imgsearch.tags").joinpath("everyday.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)


def default_vocabulary(model_vocabulary: Vocabulary | None) -> TagVocabulary:
    """The vocabulary an index tags with until its user sets one: a closed-vocabulary
    model's own phrases, else the everyday concepts asked as CLIP asks."""
    if model_vocabulary is not None and model_vocabulary.slots:
        slots = model_vocabulary.slots
        single = [word for slot in slots for word in slot]
        combined = (
            [" ".join(words) for words in itertools.product(*slots)] if len(slots) > 1 else []
        )
        return TagVocabulary(
            tuple(single + combined), "{}", origin="the model's own words", custom=False
        )
    return TagVocabulary(
        everyday(), CLIP_TEMPLATE, origin="imgsearch everyday concepts", custom=False
    )


def stored_vocabulary(
    document: Mapping[str, Any], model_vocabulary: Vocabulary | None
) -> TagVocabulary:
    """The vocabulary kept in an index's ``document`` (empty: the model's default)."""
    if not document or "tags" not in document:
        return default_vocabulary(model_vocabulary)
    return TagVocabulary.from_dict(document)


def read_tag_file(lines: Sequence[str]) -> list[str]:
    """The phrases of a vocabulary file: one per line, ``#`` starts a comment."""
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
