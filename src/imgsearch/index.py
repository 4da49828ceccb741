"""The Python API of a searchable collection: open an index, update it, search it.

::

    from imgsearch import Index, ModelSettings

    with Index.open("~/my-index", model="clip-vit-b-32") as index:
        index.update(["~/Pictures"])
        for hit in index.search("golden retriever by a pool"):
            print(hit.rank, hit.relevance, hit.image.path)

The CLI and the HTTP API are thin layers over this class. The model is loaded
only when something needs it (indexing, a text or image query); "find similar"
by indexed id reads the stored vector instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from imgsearch.duplicates.report import MAX_GROUPS, DuplicateReport, find_duplicates
from imgsearch.duplicates.score import DEFAULT_MIN_CONFIDENCE, pair_calibration_for
from imgsearch.errors import IndexBusy, IndexNotFound, InvalidQuery, NotIndexed
from imgsearch.index_browsing import IndexBrowsing
from imgsearch.index_regions import IndexRegions
from imgsearch.index_tags import IndexTags
from imgsearch.models.catalog import DEFAULT_MODEL
from imgsearch.models.encoder import Encoder, Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.models.registry import load_encoder
from imgsearch.models.settings import ModelSettings
from imgsearch.query.calibrated import IndexConfidence
from imgsearch.query.calibration import Calibration
from imgsearch.query.confidence import Confidence
from imgsearch.query.expression import (
    DEFAULT_METADATA_WEIGHT,
    DEFAULT_TOP,
    Hits,
    Query,
    QueryPart,
    encode_query,
    parse_expression,
)
from imgsearch.query.ranking import rank
from imgsearch.query.vocabulary import Rivals, query_rivals, query_vocabulary
from imgsearch.store import (
    Failure,
    Filters,
    ImageRecord,
    IndexSettings,
    Store,
    StoreStats,
    open_store,
)
from imgsearch.types import TextLine

if TYPE_CHECKING:
    # Imported where used: a search (the command line's most frequent call) needs
    # neither the indexer nor the text reader (nor, see index_regions, the importers).
    from imgsearch.indexer import IndexEvent, IndexReport
    from imgsearch.indexer.parts import Part
    from imgsearch.indexer.read_text import TextReading, TextStatus
    from imgsearch.indexer.status import IndexStatus
    from imgsearch.kinds import VideoOptions

QUERY_CACHE_SIZE = 1024


class Index(IndexRegions, IndexBrowsing, IndexTags):
    """A store plus the model its vectors come from.

    ``model`` (a name, or full :class:`ModelSettings`) is only needed for a new
    index, or to change one's model: an existing index remembers its model.
    Passing a different model for an existing index raises
    :class:`~imgsearch.errors.ModelMismatch` unless the next :meth:`update`
    re-embeds (``reembed=True``). ``encoder`` hands in an already loaded model;
    ``images`` a pipeline to read images with (another index's: the two share its bound
    on concurrent decodes), which brings its encoder.
    """

    def __init__(
        self,
        store: Store,
        *,
        model: str | ModelSettings | None = None,
        encoder: Encoder | None = None,
        images: ImagePipeline | None = None,
    ) -> None:
        self.store = store
        self._model = model if isinstance(model, ModelSettings) else ModelSettings(name=model)
        self._encoder = images.encoder if images is not None else encoder
        self._images = images
        self._text_vector = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_text)
        self._confidences = IndexConfidence(store, self._model.name or DEFAULT_MODEL)
        self._reading: TextReading | None = None

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        model: str | ModelSettings | None = None,
        encoder: Encoder | None = None,
        images: ImagePipeline | None = None,
        create: bool = True,
        pool_size: int = 1,
    ) -> Index:
        """Open (or create) the index at ``path``: a folder (the embedded store; default
        ``~/.local/share/imgsearch/index``) or a PostgreSQL URL
        (``postgresql://…?collection=NAME``). ``pool_size``: PostgreSQL connections for
        callers on several threads."""
        location = os.fspath(path) if path is not None else None
        store = open_store(location, create=create, pool_size=pool_size)
        return cls(store, model=model, encoder=encoder, images=images)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the model --------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        """The model of this index (its own unless another was asked for), loaded on first use."""
        if self._encoder is None:
            settings = self.store.settings()
            own = settings.source if settings else None
            self._encoder = load_encoder(
                self._model.named(self._model.name or own or DEFAULT_MODEL)
            )
        return self._encoder

    @property
    def images(self) -> ImagePipeline:
        """How this index reads images for its model (:mod:`imgsearch.models.images`),
        with the decoding limits, threads and batch size of its model settings."""
        if self._images is None:
            self._images = ImagePipeline.from_settings(self.encoder, self._model)
        return self._images

    # -- indexing -----------------------------------------------------------------------

    def update(
        self,
        folders: Sequence[str | os.PathLike[str]],
        *,
        exclude: Sequence[str] = (),
        include_hidden: bool = False,
        retry_failed: bool = False,
        reembed: bool = False,
        on_event: Callable[[IndexEvent], None] | None = None,
        on_regions: Callable[[str, int, int], None] | None = None,
        video: VideoOptions | None = None,
        part: Part | str | None = None,
        read_text: bool | None = None,
        on_text: Callable[[int, int], None] | None = None,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
    ) -> IndexReport:
        """Bring the index in step with ``folders`` (see :mod:`imgsearch.indexer`; videos:
        which frames are kept and the caps, ``video``), then give its images the regions
        the index's policy keeps (``report.regions``; see :mod:`imgsearch.regions.policy`).
        ``part`` (``"I/N"``): only this indexer's share of the files, so that N indexers
        fill one index in parallel (see :mod:`imgsearch.indexer.parts`). ``read_text``
        turns reading the text in images (OCR) on or off for this and later runs (``None``:
        as the index was told last; see :mod:`imgsearch.indexer.read_text`); ``on_text``
        follows the reading of images the run did not decode (done, total). One run of the
        same files writes at a time: while another holds the index, this one waits for it
        (``on_wait`` hears why) or, with ``wait=False``, raises
        :class:`~imgsearch.errors.IndexBusy` (see :mod:`imgsearch.store.run_locks`)."""
        from imgsearch.indexer.parts import Part
        from imgsearch.indexer.read_text import text_reading
        from imgsearch.indexer.update import update_index
        from imgsearch.kinds import MediaKinds
        from imgsearch.kinds.video import VideoKind

        share = Part.parse(part) if isinstance(part, str) else part
        with contextlib.ExitStack() as held:
            name = "all" if share is None else f"{share.index}/{share.count}"
            try:
                held.enter_context(self.store.run_lock(name))
            except IndexBusy as busy:
                if not wait:
                    raise
                if on_wait is not None:
                    on_wait(busy.message)
                held.enter_context(self.store.run_lock(name, wait=True))
            self._reading = text_reading(self.store, read_text, self._reading)
            report = update_index(
                self.store, self.images, folders, source=self._source(), share=share,
                reading=self._reading, policy=self.region_policy, exclude=exclude,
                include_hidden=include_hidden, retry_failed=retry_failed, reembed=reembed,
                on_event=on_event, on_regions=on_regions, on_text=on_text,
                kinds=MediaKinds([VideoKind(video)] if video else []),
            )  # fmt: skip
        self.changed()
        self.tag()  # the pictures this run added or changed (see imgsearch.tags)
        return report

    def _source(self) -> str:
        """How to load this index's model again later: the index's own record of it, unless
        another model was asked for."""
        settings = self.store.settings()
        if self._model.name is None and settings is not None and settings.source:
            return settings.source
        return self.encoder.source

    # -- searching -----------------------------------------------------------------------

    def search(
        self,
        query: Query | str | Sequence[QueryPart],
        *,
        top: int | None = None,
        offset: int | None = None,
        filters: Filters | None = None,
        metadata_weight: float | None = None,
    ) -> Hits:
        """Ranked hits for ``query``: a :class:`Query` (which carries its own page, filters
        and weight: giving them here too is an error), parts, or an expression string
        (``"2:dog + ./pool.jpg - grass"``; see :func:`~imgsearch.query.expression.parse_expression`).
        A list of :class:`Hit`, with ``.vocabulary``: what the model made of the query's words."""
        given = (top, offset, filters, metadata_weight)
        if isinstance(query, Query):
            if any(value is not None for value in given):
                raise InvalidQuery(
                    "a Query carries its own top, offset, filters and metadata weight",
                    hint="set them on the Query, or pass the query's parts instead",
                )
        else:
            parts = parse_expression(query) if isinstance(query, str) else list(query)
            query = Query(
                tuple(parts),
                filters=filters or Filters(),
                top=DEFAULT_TOP if top is None else top,
                offset=offset or 0,
                metadata_weight=(
                    DEFAULT_METADATA_WEIGHT if metadata_weight is None else metadata_weight
                ),
            )
        if self._encoder is None and self._model.name is None and self.store.settings() is None:
            # Nothing indexed and no model named: loading the default one (a download)
            # could only end in an error about the model, not about the empty index.
            raise IndexNotFound(
                f"the index at {self.store.location} is empty: nothing was indexed into it yet"
            )
        return self.search_parsed(query)

    def search_parsed(
        self,
        query: Query,
        *,
        images: ImagePipeline | None = None,
        text_vector: Callable[[str], Vectors] | None = None,
    ) -> Hits:
        """The hits of ``query``, its images read with ``images`` and its texts' vectors
        taken from ``text_vector`` (a server passes its upload limits and the vectors it
        computed in batches with other requests'; default: the index's own)."""
        vector = encode_query(
            query.parts,
            images or self.images,
            self.store,
            text_vector=text_vector or self._text_vector,
        )
        words = query_vocabulary(query.parts, self.encoder)
        # the rivals' vectors come from the index's own (cached) text tower: a server's
        # text_vector holds only the query's own texts
        rivals = self.rivals(query) if words.readable else None
        ranked = self.rank(vector, query, readable=words.readable, rivals=rivals)
        return Hits(ranked, words, ranked.judgement)

    def rivals(self, query: Query) -> Rivals | None:
        """The texts that rival a one-text query and their vectors, for a model whose
        vocabulary groups its words into slots (``demo-shapes``: colours, shapes); see
        :func:`~imgsearch.query.vocabulary.query_rivals`."""
        return query_rivals(query.parts, self.encoder, self._text_vector)

    def rank(
        self,
        vector: Vectors,
        query: Query,
        *,
        readable: bool = True,
        rivals: Rivals | None = None,
    ) -> Hits:
        """Hits for an already computed query ``vector`` (filters, paging, metadata score,
        confidence and its cut-off); ``readable=False``: the model could not read a text of
        the query (:func:`~imgsearch.query.vocabulary.query_vocabulary`), every hit gets
        confidence 0; ``rivals``: its rival texts (:meth:`rivals`)."""
        return rank(self.store, vector, query, self.confidence, readable=readable, rivals=rivals)

    def unknown_words(self, query: Query | str | Sequence[QueryPart]) -> list[str]:
        """The words of ``query``'s texts the index's model never saw, for a model with a
        closed vocabulary like ``demo-shapes`` (``[]`` for CLIP-family models): they mean
        nothing to it, and a text of nothing else gets confidence 0."""
        if isinstance(query, Query):
            parts: Sequence[QueryPart] = query.parts
        else:
            parts = parse_expression(query) if isinstance(query, str) else query
        return list(query_vocabulary(parts, self.encoder).unknown)

    @property
    def confidence(self) -> Confidence | None:
        """How hits get their confidence: the index's sample and calibration (``None``
        while the index is empty; see :mod:`imgsearch.query.calibrated`)."""
        return self._confidences.confidence

    @property
    def calibration(self) -> Calibration:
        """The map from a hit's excess over chance to its confidence: fitted for this index
        (:meth:`set_calibration`), else shipped for its model's family, else a prior."""
        return self._confidences.calibration

    def set_calibration(self, calibration: Calibration | None) -> None:
        """Use ``calibration`` for this index's confidences from now on (``None``: go back
        to the shipped one). It is stored for the index's current model only."""
        self._confidences.set_calibration(calibration)

    def changed(self) -> None:
        """Say that the index was written (by this or another ``Index``): the next query
        reads the confidence's sample again instead of waiting for it to age."""
        self._confidences.changed()

    def _embed_text(self, text: str) -> Vectors:
        vector: Vectors = self.encoder.embed_texts([text])[0]
        return vector

    # -- reading ---------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where the index lives: its folder, or its PostgreSQL URL (password left out)."""
        return self.store.location

    def thumbnail_folder(self, data_dir: Path) -> Path:
        """Where pictures made from the indexed files are kept (see the store's)."""
        return self.store.thumbnail_folder(data_dir)

    @property
    def settings(self) -> IndexSettings | None:
        """The model the index is built with (id, dimension, preprocessing, how to load it
        again); ``None`` while nothing was indexed into it."""
        return self.store.settings()

    def running_elsewhere(self) -> bool:
        """Whether a run over all files (not a ``--part``) holds the index now, started by
        another process or another :class:`Index` (``imgsearch index``, the server's "Index
        now"; see :mod:`imgsearch.store.run_locks`)."""
        try:
            with self.store.run_lock("all"):
                return False
        except IndexBusy:
            return True
        except OSError:  # a read-only index: nothing writes to it through imgsearch
            return False

    def vectors(self, image_ids: Sequence[int]) -> Vectors:
        """The stored vectors of images (a video's: the mean of its kept frames'), in order."""
        return self.store.vectors(list(image_ids))

    def region_vectors(self, region_ids: Sequence[int]) -> Vectors:
        """The stored vectors of regions (a video's kept frames among them), in order."""
        return self.store.regions.vectors(list(region_ids))

    def text_lines(self, image_id: int) -> list[TextLine]:
        """The lines of text read in an image (OCR), in reading order; ``[]``: none read."""
        return self.store.texts.lines([image_id]).get(image_id, [])

    def text_status(self, warnings: int = 0) -> TextStatus:
        """The text read in pictures: whether runs read it, the counts, and up to
        ``warnings`` pictures whose text could not be read (indexed all the same)."""
        from imgsearch.indexer.read_text import TextReport, TextStatus

        return TextStatus(
            bool(self.store.documents.get("text_policy").get("read", False)),
            TextReport(*self.store.texts.counts()),
            self.store.texts.warnings(warnings) if warnings else [],
        )

    def get(self, image_id: int) -> ImageRecord:
        records = self.store.get([image_id]) if 0 < image_id < 2**63 else []
        if not records:
            raise NotIndexed(f"no image with id {image_id} in {self.store.location}")
        return records[0]

    def find(self, path: str | os.PathLike[str]) -> ImageRecord:
        resolved = Path(path).expanduser().resolve()
        record = self.store.find_path(str(resolved))
        if record is None:
            from imgsearch.indexer.absence import why_not_indexed

            raise why_not_indexed(self.store, path, resolved)
        return record

    def annotate(
        self, image: int | str | os.PathLike[str], *, caption: str | None, tags: Sequence[str] = ()
    ) -> ImageRecord:
        """Give an image a caption and tags, which the metadata score searches."""
        record = self.get(image) if isinstance(image, int) else self.find(image)
        self.store.annotate(record.id, caption=caption, tags=tags)
        return self.get(record.id)

    def duplicates(
        self,
        *,
        under: Sequence[str] = (),
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        limit: int = MAX_GROUPS,
        on_stage: Callable[[str], None] | None = None,
    ) -> DuplicateReport:
        """Groups of exact and near-duplicate pictures (resized, re-encoded, cropped,
        colour-adjusted, turned copies) under the folders ``under`` (absolute, as indexed;
        all by default), linked where a pair's confidence reaches ``min_confidence``.
        Only reports."""
        settings = self.store.settings()
        model_id = settings.model_id if settings else self._model.name or DEFAULT_MODEL
        return find_duplicates(
            self.store,
            pair_calibration_for(model_id),
            under=list(under),
            min_confidence=min_confidence,
            limit=limit,
            on_stage=on_stage,
        )

    def status(self) -> StoreStats:
        return self.store.stats()

    def overview(self, *, text_warnings: int = 0) -> IndexStatus:
        """Everything :meth:`status` counts, with the read text (up to ``text_warnings``
        pictures it could not be read in), region policy and calibration: what
        ``imgsearch status`` and ``GET /v1/status`` show (:mod:`imgsearch.indexer.status`)."""
        from imgsearch.indexer.status import IndexStatus

        stats = self.status()
        calibration = self.calibration if stats.settings else None
        text = self.text_status(warnings=text_warnings)
        run = stats.last_run
        running = run is not None and not run.completed and self.running_elsewhere()
        return IndexStatus(self.location, stats, text, self.region_policy, calibration, running)

    def failures(self, *, limit: int | None = None, offset: int = 0) -> list[Failure]:
        """Files that could not be indexed, by path (a page of them with ``limit``)."""
        return self.store.failures(limit=limit, offset=offset)
