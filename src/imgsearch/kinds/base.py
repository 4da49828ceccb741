"""What a kind of item is: the one place that says how files of that kind are recognised,
what facts they have, how they expand into searchable parts, which part shows the item,
and how the parts that match a query become hits.

A still image is one item with one vector. A *many-part* kind (a video, a PDF) is an item
whose parts — a video's kept frames, a document's pages — are each embedded and stored as
regions of the item with ``source`` = the kind's :attr:`MediaKind.part`; the item's own
vector is the normalised mean of its parts'. The indexer, ranking, the server's pictures,
the HTTP outputs, the CLI and the page ask the item's kind (stored per item) instead of
testing which facts are null.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.kinds.segments import Segment
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.store import ImageFacts, ImageRecord, Region, RegionRecord
from imgsearch.types import TextLine


@dataclass(frozen=True)
class PartMatch:
    """One hit a many-part item gives for a query: the part that shows it (``region_id``,
    its ``cosine``), where that part sits in the item (``at``: seconds, a page number) and,
    for a video, the ``segment`` of matching moments it stands for."""

    region_id: int
    cosine: float
    at: float
    segment: Segment | None = None


class MediaKind(ABC):
    """One kind of item. Subclasses set the class attributes; a still image's kind leaves
    :attr:`part` ``None`` and the many-part methods unused (the image path reads it)."""

    name: str
    """Stored with every item (``images.kind``); the ``media`` filter's value."""
    part: str | None = None
    """The region source of the item's parts (``frame``, ``page``); ``None``: one picture."""
    extensions: frozenset[str] = frozenset()
    """File name endings the folder walk picks up for this kind (content decides later)."""
    extra: str | None = None
    """The ``imgsearch[...]`` extra that reading this kind needs, when not the base install."""
    same_above: float = 1.0
    """Parts whose vector has at least this cosine with the last kept part's are dropped
    (the model sees the same thing); 1 keeps every part."""
    read_parts: bool = False
    """Whether a run that reads text (``--ocr``) reads each part that carries no text of
    its own (a scanned page); see :meth:`part_image`."""

    @abstractmethod
    def claims(self, head: bytes, suffix: str) -> bool:
        """Whether a file with these first bytes (at least 16 when the file has them) and
        this lower-case suffix is of this kind."""

    def read_facts(self, path: str, facts: ImageFacts) -> ImageFacts:
        """``facts`` (path, size, time, digest: the file's) completed with what this kind
        knows of the file; raises an :class:`~imgsearch.errors.ImageError` for a bad one."""
        raise NotImplementedError(f"{self.name} items are read as images")

    def parts(
        self, path: str, images: ImagePipeline
    ) -> Iterator[tuple[list[Region], list[Pixels]]]:
        """Batches of the item's parts (as regions, in order) and their model inputs,
        read through ``images`` (its limits and batch size); raises an ImageError."""
        raise NotImplementedError(f"{self.name} items have no parts")

    def text_layer(self, path: str) -> list[TextLine]:
        """The text the file itself carries, line by line with the part each is on (a PDF's
        text layer), read without OCR; ``[]`` for a kind that carries none. Raises an
        :class:`~imgsearch.errors.ImageError` when it cannot be read (the item is indexed
        all the same, with a warning)."""
        return []

    def part_image(self, path: str, part: Region, side: int) -> tuple[Image.Image, tuple[int, int]]:
        """Part ``part`` of the file at ``path`` as an RGB picture at most ``side`` px on its
        long side, with the part's own size in the units its text boxes use (a page's
        points), for reading its text; raises an ImageError."""
        raise NotImplementedError(f"{self.name} items have no parts to read")

    def matches(
        self, item: ImageRecord, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]
    ) -> list[PartMatch]:
        """The hits ``item`` gives for a query whose cosine with each of ``parts`` is
        ``cosines``: one per matching page, one per segment of a video …"""
        raise NotImplementedError(f"{self.name} items have no parts")

    def poster(self, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]) -> Region:
        """The part an item's thumbnail shows, given each part's cosine with the item's
        own vector; an item with no stored parts shows its first."""
        raise NotImplementedError(f"{self.name} items have no parts")

    def part_label(self, part: Region) -> str:
        """How a person names ``part``: ``page 3``, ``frame @ 00:01:02.5``."""
        return f"{part.source} {part.frame}"

    def part_named(self, item: ImageRecord, at: float) -> Region:
        """The part at ``at`` (seconds, a page number) of ``item``, as a region: what a
        link to one part names; raises :class:`~imgsearch.errors.InvalidQuery` when the
        item has no such part."""
        raise NotImplementedError(f"{self.name} items have no parts")

    def picture(self, stream: BinaryIO, item: ImageRecord, part: Region, size: int) -> Image.Image:
        """The RGB picture of ``part`` of the item read from ``stream``, at most ``size`` px
        on its long side (never decoded much larger); raises an ImageError, ImportError
        when :attr:`extra` is not installed."""
        raise NotImplementedError(f"{self.name} items have no parts")


def each_part(parts: Sequence[RegionRecord], cosines: NDArray[np.float32]) -> list[PartMatch]:
    """One hit per part (a document's pages): each page is an answer of its own."""
    return [
        PartMatch(p.id, float(c), float(p.region.frame or 0))
        for p, c in zip(parts, cosines, strict=True)
    ]
