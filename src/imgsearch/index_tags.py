"""The :class:`~imgsearch.Index` methods about automatic tags (zero-shot tagging; see
:mod:`imgsearch.tags`): the vocabulary, tagging the pictures not tagged yet, and reading
their tags. A mixin, like :mod:`imgsearch.index_regions`, so that ``index.py`` keeps to
indexing and searching."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from imgsearch.models.encoder import Encoder
from imgsearch.query.confidence import MIN_NULL, Confidence
from imgsearch.store import Store
from imgsearch.tags.scoring import TagScorer
from imgsearch.tags.tagging import TagReport, tag_untagged
from imgsearch.tags.vocabulary import DOCUMENT, TagVocabulary, stored_vocabulary

TEXT_BATCH = 256
"""Phrases embedded in one call of the text tower."""


class TagHost(Protocol):
    """What the mixin needs of the :class:`~imgsearch.Index` it is part of."""

    store: Store

    @property
    def encoder(self) -> Encoder: ...

    @property
    def confidence(self) -> Confidence | None: ...

    def changed(self) -> None: ...


class IndexTags:
    """Automatic tags: see :mod:`imgsearch.tags`."""

    def tag_vocabulary(self: TagHost) -> TagVocabulary:
        """The phrases this index tags with: the user's (:meth:`set_tag_vocabulary`), else
        its model's default (:func:`imgsearch.tags.vocabulary.default_vocabulary`)."""
        return stored_vocabulary(self.store.documents.get(DOCUMENT), self.encoder.vocabulary)

    def set_tag_vocabulary(self: TagHost, vocabulary: TagVocabulary | None) -> int:
        """Tag with ``vocabulary`` from now on (``None``: the model's default again). A
        change of phrases, template or threshold forgets every picture's automatic tags:
        the next :meth:`tag` (or index run) gives them again. How many pictures lost
        theirs."""
        old = IndexTags.tag_vocabulary(self)
        self.store.documents.put(DOCUMENT, {} if vocabulary is None else vocabulary.as_dict())
        new = IndexTags.tag_vocabulary(self)
        if new.enabled == old.enabled and (new.tags, new.template, new.threshold) == (
            old.tags, old.template, old.threshold,
        ):  # fmt: skip
            return 0
        return self.store.auto_tags.reset()

    def tag(
        self: TagHost,
        *,
        again: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> TagReport:
        """Give the pictures not tagged yet their automatic tags (``again``: every
        picture), from their stored vectors; nothing is decoded or embedded again except
        the vocabulary's phrases."""
        vocabulary = IndexTags.tag_vocabulary(self)
        if again:
            self.store.auto_tags.reset()
        confidence = self.confidence
        if not vocabulary.enabled or confidence is None or not self.store.auto_tags.untagged(1):
            return TagReport(0, 0, 0.0, judged=confidence is not None)
        self.changed()  # the sample as the collection is now
        if confidence.sample(self.store).population < MIN_NULL:
            return TagReport(0, 0, 0.0, judged=False)  # before asking for any phrase
        scorer = IndexTags.tag_scorer(self, vocabulary, confidence)
        return tag_untagged(self.store, scorer, vocabulary.threshold, on_progress=on_progress)

    def tag_scorer(
        self: TagHost, vocabulary: TagVocabulary, confidence: Confidence
    ) -> TagScorer | None:
        """The scorer of ``vocabulary``'s phrases against this collection (``None``: too
        few pictures to judge)."""
        prompts = [vocabulary.prompt(tag) for tag in vocabulary.tags]
        model_words = self.encoder.vocabulary

        def embed(texts: Sequence[str]) -> np.ndarray:
            if not texts:
                return np.empty((0, 0), np.float32)
            batches = [
                self.encoder.embed_texts(list(texts[i : i + TEXT_BATCH]))
                for i in range(0, len(texts), TEXT_BATCH)
            ]
            return np.concatenate(batches).astype(np.float32)

        return TagScorer.prepare(
            self.store,
            confidence,
            vocabulary.tags,
            embed(prompts),
            (lambda n: model_words.rivals(prompts[n])) if model_words else (lambda n: ()),
            embed,
        )

    def auto_tags(self: TagHost, image_ids: Sequence[int]) -> dict[int, dict[str, float]]:
        """The automatic tags (tag → confidence) of those of ``image_ids`` tagged so far."""
        return self.store.auto_tags.of(image_ids)
