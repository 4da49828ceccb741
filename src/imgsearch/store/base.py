"""The store contract: what the indexer and the search need from any vector store.

Two implementations fit it: the embedded store (SQLite + in-process vector
index, :mod:`imgsearch.store.sqlite`) and PostgreSQL + pgvector
(:mod:`imgsearch.store.postgres`); what they do the same way lives once in
:mod:`imgsearch.store.core` (guards, filter conditions, column lists, runs), and
each holds only its dialect, connections and vector search. The contract tests in
``tests/store`` run against every implementation, so behaviour — ids, ordering of
equal scores, filters, the model guard, what one batch commits — is the same
whichever store a user picks.

Vectors are float32 and L2-normalised; similarity is their inner product
(cosine similarity). Paths are absolute, with ``/`` separators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from imgsearch.store.browsing import Facets
from imgsearch.store.records import (
    Failure,
    Filters,
    ImageRecord,
    IndexSettings,
    RegionRecord,
    Run,
    StoredFile,
    StoreStats,
    Vector,
    WriteBatch,
)
from imgsearch.types import TextLine

DOCUMENTS = ("region_policy", "calibration", "text_policy", "tag_vocabulary", "tag_vectors")
"""The documents an index keeps, one of each: the regions it keeps by itself
(:mod:`imgsearch.regions.policy`), the confidence calibration fitted for it
(:mod:`imgsearch.query.confidence`), whether and how it reads the text in its
pictures (:mod:`imgsearch.ocr.policy`), the phrases it tags them with
(:mod:`imgsearch.tags.vocabulary`) and their text vectors, kept so that an index run does
not ask the text tower for them again."""


class Documents(Protocol):
    """A part of the store: named JSON documents, one per name of :data:`DOCUMENTS`."""

    def get(self, name: str) -> dict[str, Any]:
        """The document ``name`` as stored; ``{}`` when none was."""
        ...

    def put(self, name: str, document: Mapping[str, Any]) -> None:
        """Store ``document`` (JSON-serialisable) as ``name``, in place of the last one."""
        ...


class AutoTags(Protocol):
    """A part of the store: the tags a vocabulary gave each picture (zero-shot, see
    :mod:`imgsearch.tags`), with their confidences, kept apart from the user's own. A
    picture not tagged yet (new, or the vocabulary changed) has none stored at all, which
    is not the same as a picture no tag fits (an empty mapping)."""

    def untagged(self, limit: int) -> list[int]:
        """Up to ``limit`` ids of pictures with a vector and no tags stored yet, lowest
        first."""
        ...

    def write(self, tagged: Mapping[int, Mapping[str, float]]) -> None:
        """Store each picture's tags (tag → confidence) in place of what it had."""
        ...

    def reset(self) -> int:
        """Forget every picture's tags (the vocabulary changed): all are untagged again.
        How many pictures had tags."""
        ...

    def of(self, ids: Sequence[int]) -> dict[int, dict[str, float]]:
        """The tags of those of ``ids`` that were tagged (none fitting: ``{}``)."""
        ...

    def progress(self) -> tuple[int, int]:
        """(pictures tagged, pictures with a vector)."""
        ...


class ReadTexts(Protocol):
    """A part of the store: the text read in its pictures (OCR), written with a batch
    (:class:`~.records.TextSet`). Only text read from an image's current bytes counts."""

    def lines(self, ids: Sequence[int]) -> dict[int, list[TextLine]]:
        """Image id → the lines of text read in it, for those of ``ids`` whose current
        bytes were read (``[]``: read, no text)."""
        ...

    def unread(self, stamp: str, roots: Sequence[str], kind: str = "image") -> list[StoredFile]:
        """Items of ``kind`` (still images by default) under ``roots`` (all when empty)
        with vectors whose current bytes were not read with ``stamp``'s reader and
        settings, by path."""
        ...

    def counts(self) -> tuple[int, int, int]:
        """Images whose current bytes were read, how many of them hold text, and how many
        could not be read (a warning is kept)."""
        ...

    def warnings(self, limit: int = 1000) -> list[tuple[str, str]]:
        """(path, why) of images whose current bytes could not be read for text, by path,
        at most ``limit``."""
        ...


class Regions(Protocol):
    """A part of the store: the regions of its images — boxes (annotations, a detector's
    objects, grid windows) and the parts of many-part items (a video's frames, a PDF's
    pages) — each with a vector of its own, written with a batch
    (:class:`~.records.RegionSet`)."""

    def of(self, image_ids: Sequence[int]) -> list[RegionRecord]:
        """The regions of ``image_ids`` (those that have any), by image in the order asked,
        then by region id."""
        ...

    def vectors(self, region_ids: Sequence[int]) -> Vector:
        """Stored vectors of ``region_ids`` (which must exist), ``(n, dim)``."""
        ...

    def labelled(
        self, *, source: str | None = "annotation", after: int = 0, limit: int = 10_000
    ) -> list[RegionRecord]:
        """Labelled regions (from ``source``; None: any) with ids above ``after``, by id, at
        most ``limit``: pass the last id back as ``after`` to walk through all of them."""
        ...

    def stamps(self, source: str) -> dict[int, str]:
        """Image id → the stamp its ``source`` regions were written with (see
        :class:`~imgsearch.store.records.RegionSet`), for images that have one."""
        ...

    def labels(self, *, source: str | None = "annotation") -> dict[str, int]:
        """Every label of the regions (from ``source``; None: any), with how many carry it."""
        ...

    def nearest(
        self,
        query: Vector,
        k: int,
        filters: Filters = Filters(),
        *,
        labels: Sequence[str] = (),
        sources: Sequence[str] = (),
        exact: bool = False,
    ) -> list[tuple[int, int, float]]:
        """The ``k`` most similar regions whose image passes ``filters`` (and whose label
        and source are among ``labels`` / ``sources``, when given): ``(region id, image id,
        cosine)``. Best first, equal cosines in ascending region id order; exactly ``k``
        when that many match (``exact`` forces an exact scan)."""
        ...


@runtime_checkable
class Store(Protocol):
    """Images, their vectors and metadata, searchable by vector and by metadata text."""

    location: str
    """Where the store lives (a folder, a URL), for messages."""

    @property
    def documents(self) -> Documents:
        """The JSON documents the index keeps beside its images (see :data:`DOCUMENTS`)."""
        ...

    @property
    def regions(self) -> Regions:
        """The regions of the index's images, with their own vectors."""
        ...

    @property
    def texts(self) -> ReadTexts:
        """The text read in the index's pictures (OCR)."""
        ...

    @property
    def auto_tags(self) -> AutoTags:
        """The tags a vocabulary gave the index's pictures (:mod:`imgsearch.tags`)."""
        ...

    def thumbnail_folder(self, data_dir: Path) -> Path:
        """Where pictures made from the indexed files (thumbnails, frames) are kept: beside
        an embedded store, under ``data_dir`` for a database (one folder per collection)."""

    def close(self) -> None:
        """Release connections and persist derived structures (vector index)."""

    # -- the model guard -----------------------------------------------------------

    def settings(self) -> IndexSettings | None:
        """The model the index is bound to, ``None`` while it is empty and unbound."""

    def bind(self, settings: IndexSettings, *, reembed: bool = False) -> None:
        """Bind an unbound index to a model, or check that it already is.

        A different model or dim raises :class:`~imgsearch.errors.ModelMismatch`,
        unless ``reembed``: then every stored vector is dropped (files and
        metadata stay) and the index is bound to the new model.
        """

    def run_lock(self, name: str, *, wait: bool = False) -> AbstractContextManager[None]:
        """Held while an index run named ``name`` (``all``, or its part, ``2/4``) writes:
        taking it while another process or thread holds it waits for it (``wait``) or
        raises :class:`~imgsearch.errors.IndexBusy` at once. A killed holder releases it."""

    # -- syncing with the disk -------------------------------------------------------

    def files_under(self, roots: Sequence[str]) -> list[StoredFile]:
        """Every stored image whose path lies under one of ``roots``, by path."""

    def has_vector_for(self, digest: str) -> bool:
        """Whether some stored image with these bytes has a vector. Thread-safe."""

    def vector_for(self, digest: str) -> Vector | None:
        """The vector of a stored image with these bytes, if any."""

    def failures(
        self, roots: Sequence[str] | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Failure]:
        """Recorded failures (under ``roots`` if given), by path; ``limit`` of them from
        ``offset`` (a page), else all."""

    def write(self, batch: WriteBatch) -> list[int]:
        """Apply a batch in one transaction; returns the ids of ``batch.images`` in order.

        Region sets apply after the images (see :class:`WriteBatch`); one naming an image
        that does not exist fails the whole batch with a
        :class:`~imgsearch.errors.StoreError`.

        An insert whose path already exists updates that row instead, so
        repeating a batch (after a crash) never duplicates a row.
        """

    def record_run(self, run: Run, run_id: int | None = None) -> int:
        """Insert (or update, given ``run_id``) an indexing run; returns its id."""

    # -- reading ---------------------------------------------------------------------

    def get(self, ids: Sequence[int]) -> list[ImageRecord]:
        """Records of ``ids`` that exist, in the order asked."""

    def find_path(self, path: str) -> ImageRecord | None:
        """The record at that absolute path, if indexed."""

    def paths_from(self, key: str, limit: int) -> list[str]:
        """Up to ``limit`` indexed paths ``>= key`` (byte-wise order), in that order: an
        index seek, for :func:`~imgsearch.store.folders.suggest_folders`."""

    def vectors(self, ids: Sequence[int]) -> Vector:
        """Stored vectors of ``ids`` (which must exist and have vectors), ``(n, dim)``."""

    def thumbprints(self, ids: Sequence[int]) -> dict[int, bytes]:
        """The stored thumbprints of those of ``ids`` that have one (near-duplicates)."""

    def set_thumbprints(self, prints: Mapping[int, bytes]) -> None:
        """Store thumbprints for images that have none yet (ids that are gone: ignored)."""

    def sample_images(self, size: int) -> tuple[list[int], int]:
        """Up to ``size`` ids of images with a vector, first in :data:`core.SAMPLE_ORDER`,
        and how many images have a vector (the confidence's sample and population)."""

    def annotate(self, image_id: int, *, caption: str | None, tags: Sequence[str]) -> None:
        """Set a user caption and tags; both feed the metadata score."""

    def stats(self) -> StoreStats:
        """Counts, size, model and last run, for ``imgsearch status``."""

    # -- searching ---------------------------------------------------------------------

    def nearest(
        self, query: Vector, k: int, filters: Filters = Filters(), *, exact: bool = False
    ) -> list[tuple[int, float]]:
        """The ``k`` most similar images to ``query`` that pass ``filters``: ``(id, cosine)``.

        Best first; equal cosines in ascending id order. When at least ``k``
        images pass the filters, exactly ``k`` come back. Cosines are exact
        (float32) even when an approximate index chose the candidates.
        """

    def metadata_matches(
        self, text: str, limit: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        """Images whose metadata text matches any word of ``text``: ``(id, bm25)``.

        BM25 scores are positive, higher is better; best first, at most ``limit``.
        """

    # -- browsing ----------------------------------------------------------------------

    def browse(
        self, filters: Filters, labels: Sequence[str], order: str, limit: int, offset: int
    ) -> tuple[list[int], int]:
        """Ids of a page of the items with vectors that ``filters`` allow (and, when
        ``labels`` are given, that hold a box of one of them), in ``order`` (one of
        :data:`~imgsearch.store.browsing.ORDERS`), and how many there are in all."""

    def facets(
        self, filters: Filters, labels: Sequence[str], base: str, utc_offset: float
    ) -> Facets:
        """Counts by folder below ``base``, month, tag, label and kind of what
        :meth:`browse` lists (:func:`imgsearch.store.browsing.facets`)."""
