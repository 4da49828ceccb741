"""The Python API of a searchable collection: open an index, update it, search it.

::

    from imgsearch import Index, QueryPart

    with Index.open("~/my-index", model="clip-vit-b-32") as index:
        index.update(["~/Pictures"])
        for hit in index.search("golden retriever by a pool"):
            print(hit.rank, hit.relevance, hit.image.path)

The CLI and the HTTP API are thin layers over this class. The model is loaded
only when something needs it (indexing, a text or image query); "find similar"
by indexed id reads the stored vector instead.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.config import default_index_dir
from imgsearch.embedder import Embedder
from imgsearch.errors import ModelMismatch, NotIndexed
from imgsearch.indexer import Indexer, IndexEvent, IndexReport
from imgsearch.models.catalog import DEFAULT_MODEL
from imgsearch.search import Hit, Query, QueryPart, combine, parse_expression, rank
from imgsearch.store import Failure, Filters, ImageRecord, SqliteStore, Store, StoreStats
from imgsearch.store.postgres import is_postgres_url
from imgsearch.types import Box

ImageEncoder = Callable[[str | bytes, Box | None], NDArray[np.float32]]
"""Turns one query image (a path, or encoded bytes) and an optional box into its unit vector."""

QUERY_CACHE_SIZE = 1024


def open_store(
    path: str | os.PathLike[str] | None, *, create: bool = True, pool_size: int = 1
) -> Store:
    """The store at ``path``: PostgreSQL for a ``postgresql://`` URL, else the embedded one.

    ``pool_size`` PostgreSQL connections serve concurrent callers (a server); the
    embedded store needs none.
    """
    location = os.fspath(path) if path is not None else None
    if location is not None and is_postgres_url(location):
        from imgsearch.store.postgres import PostgresStore

        return PostgresStore(location, create=create, pool_size=pool_size)
    folder = Path(location).expanduser() if location is not None else default_index_dir()
    return SqliteStore(folder, create=create)


class Index:
    """A store plus the model its vectors come from.

    ``model`` (a catalog name, hub id or folder) is only needed for a new
    index: an existing one remembers its model. Passing a different model for
    an existing index raises :class:`~imgsearch.errors.ModelMismatch` unless
    the next :meth:`update` re-embeds (``reembed=True``).
    """

    def __init__(
        self,
        store: Store,
        *,
        model: str | None = None,
        embedder: Embedder | None = None,
        embedder_options: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self._model = model
        self._embedder = embedder
        self._embedder_options = embedder_options or {}
        self._text_vector = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_text)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        model: str | None = None,
        create: bool = True,
        embedder: Embedder | None = None,
        pool_size: int = 1,
        **embedder_options: Any,
    ) -> Index:
        """Open (or create) the index at ``path``: a folder (the embedded store, default:
        the user's data dir) or a PostgreSQL URL (``postgresql://…?collection=NAME``).

        ``embedder_options`` go to :class:`~imgsearch.embedder.Embedder`
        (precision, threads, batch_size, decode …). ``pool_size``: PostgreSQL
        connections for callers on several threads.
        """
        store = open_store(path, create=create, pool_size=pool_size)
        return cls(store, model=model, embedder=embedder, embedder_options=embedder_options)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the model --------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The model of this index, loaded on first use."""
        if self._embedder is None:
            settings = self.store.settings()
            source = self._model or (settings.source if settings else None) or DEFAULT_MODEL
            self._embedder = Embedder(source, **self._embedder_options)
        return self._embedder

    def _check_model(self) -> None:
        settings = self.store.settings()
        if settings is not None and settings.model_id != self.embedder.model_id:
            raise ModelMismatch(
                f"the index at {self.store.location} was built with {settings.model_id}, "
                f"not {self.embedder.model_id}",
                hint=f"leave out --model to use {settings.model_id}, or re-embed: "
                f"imgsearch index --reembed --model {self.embedder.model_id} FOLDER",
            )

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
    ) -> IndexReport:
        """Bring the index in step with ``folders`` (see :mod:`imgsearch.indexer`)."""
        indexer = Indexer(self.store, self.embedder, on_event=on_event, source=self._source())
        return indexer.update(
            folders,
            exclude=exclude,
            include_hidden=include_hidden,
            retry_failed=retry_failed,
            reembed=reembed,
        )

    def _source(self) -> str:
        """How to load this index's model again later (a folder becomes absolute)."""
        settings = self.store.settings()
        if self._model is None and settings is not None and settings.source:
            return settings.source
        reference = self._model or self.embedder.model_id
        base, _, _ = reference.partition(":int8")
        folder = Path(base).expanduser()
        if folder.is_dir():
            return str(folder.resolve()) + (":int8" if ":int8" in reference else "")
        if self.embedder.precision == "int8" and ":int8" not in reference:
            return reference + ":int8"
        return reference

    # -- searching -----------------------------------------------------------------------

    def search(
        self,
        query: Query | str | Sequence[QueryPart],
        *,
        top: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
        metadata_weight: float | None = None,
    ) -> list[Hit]:
        """Ranked hits for ``query``: a :class:`Query`, parts, or an expression string
        (``"2:dog + ./pool.jpg - grass"``; see :func:`~imgsearch.search.parse_expression`)."""
        if not isinstance(query, Query):
            parts = parse_expression(query) if isinstance(query, str) else list(query)
            options: dict[str, Any] = {
                "top": top,
                "offset": offset,
                "filters": filters or Filters(),
            }
            if metadata_weight is not None:
                options["metadata_weight"] = metadata_weight
            query = Query(tuple(parts), **options)
        return self.rank(self.query_vector(query.parts), query)

    def rank(self, vector: NDArray[np.float32], query: Query) -> list[Hit]:
        """Hits for an already computed query ``vector`` (filters, paging, metadata score)."""
        return rank(self.store, vector, query)

    def query_vector(
        self,
        parts: Sequence[QueryPart],
        *,
        text_vectors: Mapping[str, NDArray[np.float32]] | None = None,
        embed_image: ImageEncoder | None = None,
    ) -> NDArray[np.float32]:
        """The unit vector a list of parts stands for.

        ``text_vectors`` may hold the vectors of the parts' texts, computed
        elsewhere, and ``embed_image`` may turn the parts' images into vectors in
        place of the embedder: the server decodes uploads under its own limits and
        runs the images of concurrent requests in batches.
        """
        encoded = text_vectors or {}
        vectors = np.stack([self._part_vector(part, encoded, embed_image) for part in parts])
        return combine(vectors, [part.weight for part in parts])

    def _part_vector(
        self,
        part: QueryPart,
        encoded: Mapping[str, NDArray[np.float32]],
        embed_image: ImageEncoder | None,
    ) -> NDArray[np.float32]:
        if part.text is not None:
            self._check_model()
            if part.text in encoded:
                return encoded[part.text]
            return self._text_vector(part.text)
        source: str | bytes
        if part.image_data is not None:
            source = part.image_data
        elif part.image_id is not None:
            record = self.get(part.image_id)
            if part.box is None:
                return self._stored_vector(record.id)
            source = record.path
        else:
            assert part.image is not None
            source = part.image
            known = self.store.find_path(str(Path(part.image).expanduser().resolve()))
            if known is not None and part.box is None and self._unchanged(known):
                return self._stored_vector(known.id)
        self._check_model()
        if embed_image is not None:
            return embed_image(source, part.box)
        pixels = self.embedder.prepare_image(source, part.box)
        vector: NDArray[np.float32] = self.embedder.embed_pixels(pixels[np.newaxis])[0]
        return vector

    def _stored_vector(self, image_id: int) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self.store.vectors([image_id])[0]
        return vector

    @staticmethod
    def _unchanged(record: ImageRecord) -> bool:
        try:
            stat = Path(record.path).stat()
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == (record.size, record.mtime_ns)

    def _embed_text(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self.embedder.embed_texts([text])[0]
        return vector

    # -- reading ---------------------------------------------------------------------------

    def get(self, image_id: int) -> ImageRecord:
        records = self.store.get([image_id]) if 0 < image_id < 2**63 else []
        if not records:
            raise NotIndexed(f"no image with id {image_id} in {self.store.location}")
        return records[0]

    def find(self, path: str | os.PathLike[str]) -> ImageRecord:
        record = self.store.find_path(str(Path(path).expanduser().resolve()))
        if record is None:
            raise NotIndexed(
                f"{path} is not in the index at {self.store.location}",
                hint="index its folder first: imgsearch index FOLDER",
            )
        return record

    def annotate(
        self, image: int | str | os.PathLike[str], *, caption: str | None, tags: Sequence[str] = ()
    ) -> ImageRecord:
        """Give an image a caption and tags, which the metadata score searches."""
        record = self.get(image) if isinstance(image, int) else self.find(image)
        self.store.annotate(record.id, caption=caption, tags=tags)
        return self.get(record.id)

    def status(self) -> StoreStats:
        return self.store.stats()

    def failures(self) -> list[Failure]:
        return self.store.failures()
