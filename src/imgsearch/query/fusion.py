"""Fusing what the picture shows with the words found with it: the relevance hits are
ranked by.

Two rankings of the same images meet: by the picture (the cosine to the query vector)
and by the words (BM25 of the query's words in the file and folder names, caption, tags
and the text read in the picture). Their scores live on scales that have nothing to do
with each other — a cosine spread of 0.05 is everything for one model and nothing for
another — so they are fused by rank (reciprocal-rank fusion, the usual way hybrid
search engines join a vector and a keyword ranking)::

    relevance = (K + 1) * ((1 - w) / (K + picture_rank) + w / (K + words_rank))

``picture_rank`` is the hit's place among the query's candidates by cosine (1: the
best), ``words_rank`` its place among the images whose words match with a BM25 score of
at least :data:`WORDS_MIN` (an image whose words do not match that well has no words
term), ``K`` = :data:`RANK_CONSTANT` and ``w`` the metadata weight (``--metadata-weight``,
:data:`DEFAULT_WORDS_WEIGHT` by default; 0: pictures alone, 1: words alone, every match
by its BM25). The best of
both ranks 1.0. With the default weight, a picture whose words match ranks above every
picture without them but the very best few by cosine, so an exact word — a sign's read
text, a caption typed by hand — wins over a picture that merely looks like the query.
Both weight and constant were measured, not guessed (``bench/words.py``, BENCHMARKS.md).

A query the model cannot read (:class:`~imgsearch.query.vocabulary.QueryVocabulary`:
its pictures' ranking is noise) ranks by its words first; the picture only breaks ties.
Where no picture holds the query's words (or the query has none), ``w`` is 0: the
pictures alone, the best of them 1.0.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping

RANK_CONSTANT = 10
"""``K``: how fast a rank's weight falls (1/(K + rank)); small K favours the first few."""
DEFAULT_WORDS_WEIGHT = 0.5
"""``w``: the words' share of the relevance."""
WORDS_MIN = 1.0
"""BM25 score from which an image's words count as matching the query: about one word
that fewer than a third of the images carry (a word most images carry, like a common
folder name, scores near 0). The same score keeps a hit from a confidence cut-off."""
UNREAD_WORDS_WEIGHT = 0.999
"""The words' share for a query the model cannot read: the picture breaks ties only."""


class Fusion:
    """The relevance of any hit of one query, from the query's candidates' cosines and
    its images' BM25 scores."""

    def __init__(
        self,
        cosines: Iterable[float],
        words: Mapping[int, float],
        weight: float,
        *,
        readable: bool = True,
    ) -> None:
        self._descending = sorted(-c for c in cosines)
        floor = WORDS_MIN if weight < 1 else 0.0  # by the words alone: every match counts
        matching = sorted(
            (i for i, s in words.items() if s > 0 and s >= floor), key=lambda i: -words[i]
        )
        self._words_rank: dict[int, int] = {}
        rank, previous = 0, None
        for place, image_id in enumerate(matching, start=1):  # equal scores share a rank
            if words[image_id] != previous:
                rank, previous = place, words[image_id]
            self._words_rank[image_id] = rank
        if not self._words_rank:  # no picture holds the words: pictures alone, best 1.0
            weight = 0.0
        self._weight = weight if readable or weight == 0 else max(weight, UNREAD_WORDS_WEIGHT)

    def picture_rank(self, cosine: float) -> int:
        """The place of ``cosine`` among the candidates' (ties share the best place)."""
        return bisect.bisect_left(self._descending, -cosine) + 1

    def words_rank(self, image_id: int) -> int | None:
        """The image's place among those whose words match (``None``: they do not)."""
        return self._words_rank.get(image_id)

    def relevance(self, cosine: float, image_id: int | None) -> float:
        """The relevance of a hit with ``cosine`` on image ``image_id`` (``None``: a hit
        that gets no words evidence, such as a page of a document without the words)."""
        k = RANK_CONSTANT
        picture = (1 - self._weight) / (k + self.picture_rank(cosine))
        rank = self.words_rank(image_id) if image_id is not None else None
        words = self._weight / (k + rank) if rank is not None else 0.0
        return (k + 1) * (picture + words)
