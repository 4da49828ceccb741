"""The :class:`~imgsearch.Index` methods about automatic tags (zero-shot tagging; see
:mod:`imgsearch.tags`): the vocabulary, tagging the pictures not tagged yet, and reading
their tags. A mixin, like :mod:`imgsearch.index_regions`, so that ``index.py`` keeps to
indexing and searching."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import InputError, NotIndexed, TextNotSupported
from imgsearch.models.encoder import Encoder
from imgsearch.query.confidence import MIN_NULL, Confidence
from imgsearch.regions.annotations.match import PathMatcher
from imgsearch.regions.annotations.read import read_annotations
from imgsearch.store import Filters, Store
from imgsearch.tags.evaluation import TagEvaluation, evaluate_tags, read_label_lines
from imgsearch.tags.scoring import TagScorer
from imgsearch.tags.sidecars import SidecarReport, write_sidecars
from imgsearch.tags.tagging import TagReport, tag_untagged
from imgsearch.tags.vocabulary import DOCUMENT, TagVocabulary, stored_vocabulary

TEXT_BATCH = 256
"""Phrases embedded in one call of the text tower."""
VECTORS = "tag_vectors"
"""The store document the vocabulary's phrase vectors are kept in (per model)."""


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
        if not self.encoder.supports_text:  # an image-only model cannot be asked a phrase
            return TagReport(0, 0, 0.0, text=False)
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
        few pictures to judge). Phrases' vectors are kept (per model) once asked for."""
        prompts = [vocabulary.prompt(tag) for tag in vocabulary.tags]
        model_words = self.encoder.vocabulary
        known: dict[tuple[str, str], NDArray[np.float32]] = self.__dict__.setdefault(
            "_phrase_vectors", {}
        )
        model = self.encoder.model_id
        unseen = [p for p in prompts if (model, p) not in known]
        kept: dict[str, NDArray[np.float32]] = {}
        if unseen:  # the index's kept vectors, read only for phrases this process lacks
            kept = _kept_vectors(self.store.documents.get(VECTORS), model)
            for text, vector in kept.items():
                known.setdefault((model, text), vector)

        def embed(texts: Sequence[str]) -> NDArray[np.float32]:
            missing = list(dict.fromkeys(t for t in texts if (model, t) not in known))
            for start in range(0, len(missing), TEXT_BATCH):
                batch = missing[start : start + TEXT_BATCH]
                for text, vector in zip(batch, self.encoder.embed_texts(batch), strict=True):
                    known[(model, text)] = np.asarray(vector, np.float32)
            if not texts:
                return np.empty((0, self.encoder.dim), np.float32)
            return np.stack([known[(model, t)] for t in texts])

        vectors = embed(prompts)
        if unseen and set(prompts) - set(kept):  # asked for now: kept for the next run
            self.store.documents.put(VECTORS, _as_document(model, prompts, vectors))
        return TagScorer.prepare(
            self.store,
            confidence,
            vocabulary.tags,
            vectors,
            (lambda n: model_words.rivals(prompts[n])) if model_words else (lambda n: ()),
            embed,
        )

    def classify(
        self: TagHost, vectors: NDArray[np.float32], labels: Sequence[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        """For each picture vector (one not in the collection: an upload), every phrase of
        the vocabulary — or ``labels``, asked through its template — with the confidence a
        search for it would give the picture if it were in the collection, most confident
        first. Empty lists when the collection is too small to judge (under 32 pictures)."""
        if not self.encoder.supports_text:
            raise TextNotSupported(
                f"the index's model {self.encoder.model_id} embeds images only: it cannot judge "
                "phrases (tags need a model with a text tower)"
            )
        vocabulary = IndexTags.tag_vocabulary(self)
        if labels is not None:
            vocabulary = vocabulary.with_tags(labels)
        confidence = self.confidence
        if confidence is None or not vocabulary.tags:
            return [[] for _ in vectors]
        scorer = IndexTags.tag_scorer(self, vocabulary, confidence)
        if scorer is None:
            return [[] for _ in vectors]
        judged = scorer.confidences_of(vectors)
        return [
            sorted(
                ((tag, round(float(c), 4)) for tag, c in zip(scorer.tags, row, strict=True)),
                key=lambda pair: (-pair[1], pair[0]),
            )
            for row in judged
        ]

    def evaluate_tags(
        self: TagHost, labels: str | os.PathLike[str], roots: Sequence[str] = ()
    ) -> TagEvaluation:
        """The automatic tags against ``labels`` (see :mod:`imgsearch.tags.evaluation`):
        JSON lines, or an annotation file whose names are relative to one of ``roots``."""
        path = Path(labels)
        truth = _labelled(self, path, roots)
        vocabulary = IndexTags.tag_vocabulary(self)
        confidence = self.confidence
        scorer = None if confidence is None else IndexTags.tag_scorer(self, vocabulary, confidence)
        if scorer is None:
            raise NotIndexed("too few pictures to judge what a match is (under 32)")
        return evaluate_tags(self.store, scorer, vocabulary.threshold, truth)

    def write_sidecars(
        self,
        *,
        filters: Filters = Filters(),
        auto_min_confidence: float | None = None,
        naming: str = "darktable",
        dry_run: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> SidecarReport:
        """Write the captions and tags of the items ``filters`` allow into XMP sidecars
        beside them, merged with what those hold (see :mod:`imgsearch.tags.sidecars`);
        ``auto_min_confidence``: their automatic tags of at least that confidence too."""
        return write_sidecars(
            self,  # type: ignore[arg-type]  # an Index: browse and auto_tags
            filters=filters,
            auto_min_confidence=auto_min_confidence,
            naming=naming,
            dry_run=dry_run,
            on_progress=on_progress,
        )

    def tag_progress(self: TagHost) -> tuple[int, int]:
        """(pictures tagged, pictures with a vector)."""
        return self.store.auto_tags.progress()

    def auto_tags(self: TagHost, image_ids: Sequence[int]) -> dict[int, dict[str, float]]:
        """The automatic tags (tag → confidence) of those of ``image_ids`` tagged so far."""
        return self.store.auto_tags.of(image_ids)


def _labelled(host: TagHost, path: Path, roots: Sequence[str]) -> dict[int, set[str]]:
    """Picture id → its true phrases, from a JSON-lines file or an annotation file."""
    truth: dict[int, set[str]] = {}
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for image, tags in read_label_lines(path):
            if isinstance(image, int) or image.isdigit():
                image_id = int(image)
            else:
                where = Path(image) if Path(image).is_absolute() else path.parent / image
                record = host.store.find_path(str(Path(os.path.realpath(where))))
                if record is None:
                    raise InputError(f"{image} (in {path}) is not an indexed picture")
                image_id = record.id
            truth.setdefault(image_id, set()).update(tags)
        return truth
    parsed = read_annotations(path)
    if parsed.problems and not parsed.images:
        raise InputError(f"{path}: {parsed.problems[0].message}")
    indexed = [
        (os.path.relpath(f.path, root), f.id)
        for root in (roots or [str(path.parent)])
        for f in host.store.files_under([str(Path(os.path.realpath(root)))])
    ]
    matcher = PathMatcher(indexed)
    for named, boxes in parsed.images.items():
        found = matcher.find(named, by_stem=parsed.by_stem)
        if isinstance(found, int):
            truth.setdefault(found, set()).update(b.label for b in boxes if b.label)
    return truth


def _as_document(
    model: str, prompts: Sequence[str], vectors: NDArray[np.float32]
) -> dict[str, object]:
    """Phrase vectors as a JSON document: float32, base64 (exactly what was asked: a tag's
    confidence stays the one a search for its phrase computes)."""
    data = np.ascontiguousarray(vectors, dtype="<f4")
    return {
        "model_id": model,
        "prompts": list(prompts),
        "dim": int(data.shape[1]) if data.ndim == 2 else 0,
        "vectors": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _kept_vectors(document: dict[str, object], model: str) -> dict[str, NDArray[np.float32]]:
    """The phrase vectors kept for ``model`` (none for another model, or a damaged one)."""
    prompts = document.get("prompts")
    if document.get("model_id") != model or not isinstance(prompts, list):
        return {}
    try:
        dim = int(str(document.get("dim")))
        raw = base64.b64decode(str(document.get("vectors")), validate=True)
        vectors = np.frombuffer(raw, dtype="<f4").reshape(len(prompts), dim)
    except (ValueError, TypeError):
        return {}
    return {str(p): vectors[n].astype(np.float32) for n, p in enumerate(prompts)}
