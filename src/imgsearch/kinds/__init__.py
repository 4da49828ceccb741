"""Kinds of items: still images, videos, PDFs — each one module that says how its files
are recognised, read, expanded into searchable parts and shown (:class:`MediaKind`).

A new kind is one module and one line in :data:`REGISTERED`: the indexer, ranking, the
server's pictures, the HTTP outputs, the CLI and the page dispatch on the kind stored with
each item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from imgsearch.kinds.base import MediaKind, PartMatch
from imgsearch.kinds.image import ImageKind
from imgsearch.kinds.pdf import PdfKind
from imgsearch.kinds.video import VideoKind, VideoOptions

REGISTERED: tuple[type[MediaKind], ...] = (VideoKind, PdfKind, ImageKind)
"""Every kind, in the order files are offered to them (the first that claims a file
has it); the still image, which claims anything, comes last."""

SNIFF_BYTES = 16


class MediaKinds:
    """The kinds one indexer or server uses: the registered kinds with their default
    options, or ``configured`` instances in place of those of the same name."""

    def __init__(self, configured: Sequence[MediaKind] = ()) -> None:
        mine = {kind.name: kind for kind in configured}
        self.all: tuple[MediaKind, ...] = tuple(mine.get(k.name) or k() for k in REGISTERED)
        self.by_name = {kind.name: kind for kind in self.all}
        self.extensions = frozenset().union(*(kind.extensions for kind in self.all))
        """Every file name ending the folder walk picks up."""

    def named(self, name: str) -> MediaKind:
        """The kind stored as ``name`` (an item of a kind this imgsearch does not know is
        shown as a still image)."""
        return self.by_name.get(name) or self.by_name["image"]

    def of_file(self, path: str) -> MediaKind:
        """The kind of the file at ``path``, by its first bytes and suffix (an unreadable
        file is a still image: the image path reports why)."""
        try:
            with Path(path).open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return self.by_name["image"]
        suffix = Path(path).suffix.lower()
        return next(kind for kind in self.all if kind.claims(head, suffix))


KINDS = MediaKinds()
"""The kinds with their default options: what ranking and the edges dispatch on."""
NAMES = tuple(kind.name for kind in KINDS.all)
PART_SOURCES = tuple(kind.part for kind in KINDS.all if kind.part is not None)
"""The region sources that are an item's parts (a video's ``frame``, a PDF's ``page``)."""


def kind_of(item_kind: str) -> MediaKind:
    """The kind of an item stored with kind ``item_kind``."""
    return KINDS.named(item_kind)


__all__ = [
    "KINDS",
    "NAMES",
    "PART_SOURCES",
    "MediaKind",
    "MediaKinds",
    "PartMatch",
    "VideoOptions",
    "kind_of",
]
