"""What a model makes of a query's words: which it reads (a closed-vocabulary model, see
:mod:`imgsearch.models.vocabulary`, knows only the words it was trained on) and which
texts rival a one-text query ("red cross" for "red star"), whose vectors tell an object
that matches the query from one that matches a neighbour of it better.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from imgsearch.models.encoder import Encoder, Vectors


class QueryPart(Protocol):
    """What this module reads of a query's part
    (:class:`imgsearch.query.expression.QueryPart`): its text, if it is one."""

    @property
    def text(self) -> str | None: ...


@dataclass(frozen=True)
class QueryVocabulary:
    """What a closed-vocabulary model makes of a query's texts (see
    :mod:`imgsearch.models.vocabulary`); an open vocabulary reads everything."""

    readable: bool = True
    """Whether the model reads every text: a text with no known word that says something
    is not read, and the query's hits then get confidence 0."""
    unknown: tuple[str, ...] = ()
    """The words of the texts the model never saw (they still change the query vector, as
    noise), each once."""
    known: tuple[str, ...] = ()
    """When not readable: the words the model knows that say something, to suggest."""


def query_vocabulary(parts: Sequence[QueryPart], encoder: Encoder) -> QueryVocabulary:
    """How ``encoder``'s model reads the texts among ``parts``."""
    texts = [part.text for part in parts if part.text is not None]
    vocabulary = encoder.vocabulary if texts else None
    if vocabulary is None:
        return QueryVocabulary()
    readable = all(vocabulary.reads(text) for text in texts)
    unknown = tuple(dict.fromkeys(word for text in texts for word in vocabulary.unknown(text)))
    return QueryVocabulary(readable, unknown, () if readable else tuple(vocabulary.content()))


@dataclass(frozen=True)
class Rivals:
    """The texts that rival a one-text query ("red cross" for "red star") and their
    vectors, in the same order."""

    texts: tuple[str, ...]
    vectors: Vectors

    def __len__(self) -> int:
        return len(self.texts)


def query_rivals(
    parts: Sequence[QueryPart], encoder: Encoder, text_vector: Callable[[str], Vectors]
) -> Rivals | None:
    """The texts that rival a one-text query and their vectors: the text with one word
    swapped for another of its slot in the model's vocabulary ("red star" → "blue star",
    "red cross"; :meth:`imgsearch.models.vocabulary.Vocabulary.rivals`). ``None`` for other
    queries and for models without slots (CLIP families: any text is theirs)."""
    vocabulary = encoder.vocabulary
    if len(parts) != 1 or parts[0].text is None or vocabulary is None:
        return None
    texts = vocabulary.rivals(parts[0].text)
    if not texts:
        return None
    vectors = np.stack([text_vector(text) for text in texts]).astype(np.float32)
    return Rivals(tuple(texts), vectors)
