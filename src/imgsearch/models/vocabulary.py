"""What a closed-vocabulary model can read: the words its text tower was trained on.

CLIP-family models read open English: their tokenizers were fitted on web captions, and
every word means something to them. A model trained on a closed set of texts does not.
The bundled ``demo-shapes`` knows colours, shapes, sizes and backgrounds. Its tokenizer
still cuts "forest" into pieces ("f", "or", "e", "st"), and the text tower turns them
into some vector. That vector lands near some images by chance, as close as a real
query's matches, so the hits look confident and mean nothing.

Such a model lists its words in its manifest::

    "vocabulary": {"words": ["a", "and", "blue", ...], "filler": ["a", "and", ...],
                   "slots": [["red", "blue", ...], ["circle", "star", ...]]}

``filler`` are the words its phrasings wrap around what they describe ("a photo of",
"and"). A text *is read* when at least one of its words is known and not filler. For
a text that is not read, search gives every hit confidence 0, so any cut-off drops
every hit not kept by its words (file names, captions; see ``docs/relevance.md``).
Search also reports the words the model does not know. A model without a vocabulary
in its manifest (every CLIP-family model) reads everything.

``slots`` (optional) are groups of words that stand in for each other in a description:
colours, shapes. Swapping one word of a text for another of its slot makes a *rival*
("red star" → "blue star", "red cross"): where a rival describes an object better than
the query does, the object is not what the query asks for (see
:mod:`imgsearch.query.calibration`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

WORD = re.compile(r"[^\W_]+")
"""A word: a run of letters and digits (punctuation and underscores split words)."""


def words_of(text: str) -> list[str]:
    """``text``'s words, case-folded, in order (repeats kept)."""
    return WORD.findall(text.casefold())


@dataclass(frozen=True)
class Vocabulary:
    """The words a model was trained on, and which of them only wrap a description."""

    words: frozenset[str]
    filler: frozenset[str]
    slots: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(
        cls,
        texts: Iterable[str],
        filler: Iterable[str],
        slots: Iterable[Iterable[str]] = (),
    ) -> Vocabulary:
        """The vocabulary of a training set's ``texts``."""
        words = frozenset(w for text in texts for w in words_of(text))
        known = tuple(tuple(w.casefold() for w in slot if w.casefold() in words) for slot in slots)
        return cls(words, frozenset(f.casefold() for f in filler) & words, known)

    def rivals(self, text: str) -> list[str]:
        """``text`` with one of its words swapped for another of that word's slot, each
        swap once (``[]`` without slots, or when no word of ``text`` is in one)."""
        words = words_of(text)
        found: list[str] = []
        for place, word in enumerate(words):
            for slot in self.slots:
                if word in slot:
                    found += [
                        " ".join([*words[:place], other, *words[place + 1 :]])
                        for other in slot
                        if other != word
                    ]
        return list(dict.fromkeys(found))

    def unknown(self, text: str) -> list[str]:
        """The words of ``text`` the model never saw, each once, in order."""
        return list(dict.fromkeys(w for w in words_of(text) if w not in self.words))

    def reads(self, text: str) -> bool:
        """Whether ``text`` holds a known word that says something (not only filler)."""
        return any(w in self.words and w not in self.filler for w in words_of(text))

    def content(self) -> list[str]:
        """The known words that say something (not filler), sorted: what to suggest."""
        return sorted(self.words - self.filler)

    def as_dict(self) -> dict[str, Any]:
        listed: dict[str, Any] = {"words": sorted(self.words), "filler": sorted(self.filler)}
        if self.slots:
            listed["slots"] = [list(slot) for slot in self.slots]
        return listed

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Vocabulary | None:
        """The vocabulary a model's manifest lists, or ``None`` (an open vocabulary)."""
        listed = manifest.get("vocabulary")
        if not isinstance(listed, Mapping) or not listed.get("words"):
            return None
        words = frozenset(str(w).casefold() for w in listed["words"])
        filler = frozenset(str(w).casefold() for w in listed.get("filler", ())) & words
        slots = tuple(
            tuple(str(w).casefold() for w in slot if str(w).casefold() in words)
            for slot in listed.get("slots", ())
        )
        return cls(words, filler, tuple(slot for slot in slots if len(slot) > 1))
