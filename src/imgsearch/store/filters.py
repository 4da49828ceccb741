"""Filters: the restrictions a search or a listing applies exactly, before ranking — the
same conditions on every store (:func:`imgsearch.store.core.filter_clause` turns them into
SQL)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgsearch.errors import InvalidQuery
from imgsearch.store.words import fold_text

MAX_FILTER_VALUES = 100
"""Folders (``under``) or formats one filter may list: each becomes a condition of one
SQL expression, and SQLite refuses expressions nested about a thousand deep."""
MAX_DIMENSION = 2**31 - 1
MAX_TEXT_PHRASE = 200
"""Characters of one ``contains_text`` phrase."""


FORMAT_ALIASES = {"JPG": "JPEG", "TIF": "TIFF", "HEIC": "HEIF"}


def format_name(typed: str) -> str:
    """The stored format name (Pillow's, upper case) for a format as a user types it: any
    case, and the file-extension spellings ``jpg``, ``tif``, ``heic``."""
    upper = typed.strip().upper()
    return FORMAT_ALIASES.get(upper, upper)


@dataclass(frozen=True)
class Filters:
    """Restrictions applied exactly, before ranking.

    ``under``: absolute folder paths (an image matches if it lies in any);
    ``after``/``before``: POSIX seconds, compared with the capture time or, when
    the image has none, its modification time (``after`` inclusive, ``before``
    exclusive); ``formats``: format names in any case, or their file extensions
    (``jpeg``, ``JPG``, ``png`` …; kept as :func:`format_name` gives them).
    At most :data:`MAX_FILTER_VALUES` folders and formats; sizes up to 2³¹ − 1.
    """

    under: tuple[str, ...] = ()
    after: float | None = None
    before: float | None = None
    formats: tuple[str, ...] = ()
    min_width: int | None = None
    min_height: int | None = None
    media: str | None = None
    """One kind of item (:mod:`imgsearch.kinds`: ``image``, ``video``, ``pdf``); ``None``:
    every kind. Checked against the kinds this imgsearch knows by the query's parser."""
    contains_text: tuple[str, ...] = ()
    """Phrases the text read in the image (OCR) must each contain, compared case-, accent-
    space- and punctuation-blind (:func:`imgsearch.store.words.fold_text`): ``inv`` finds
    "INVOICE", ``bahnhof strasse`` finds "Bahnhofstraße", ``inv 4711`` finds "INV-4711".
    Images without read text never match."""
    tags: tuple[str, ...] = ()
    """Tags, exactly: an image matches if it carries any of them, as the user's own
    (:meth:`imgsearch.Index.annotate`) or as an automatic tag (:mod:`imgsearch.tags`)."""
    not_tags: tuple[str, ...] = ()
    """Tags an image must carry none of (the user's own or automatic)."""
    min_rating: int | None = None
    """Least rating (-1 rejected, 0 to 5 stars) the picture's archive metadata gives it
    (XMP ``xmp:Rating``); pictures without a rating never match."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", tuple(format_name(f) for f in self.formats))
        if len(self.contains_text) > MAX_FILTER_VALUES or any(
            len(p) > MAX_TEXT_PHRASE for p in self.contains_text
        ):
            raise InvalidQuery(
                f"at most {MAX_FILTER_VALUES} contains-text phrases of {MAX_TEXT_PHRASE} "
                "characters each"
            )
        if any(not fold_text(p) for p in self.contains_text):
            raise InvalidQuery(
                "a contains-text phrase has no letters, digits or symbols (spaces and "
                "punctuation are ignored)",
                hint="give the words the picture must show",
            )
        if self.media is not None and not (self.media.isascii() and self.media.isalpha()):
            raise InvalidQuery(f"unknown media {self.media!r}", hint="media is a kind of item")
        for name, values in (
            ("folders", self.under),
            ("formats", self.formats),
            ("tags", self.tags),
            ("excluded tags", self.not_tags),
        ):
            if len(values) > MAX_FILTER_VALUES:
                raise InvalidQuery(
                    f"{len(values)} {name} in one filter; at most {MAX_FILTER_VALUES}",
                    hint="filter by a common parent folder instead",
                )
        if self.min_rating is not None and not -1 <= self.min_rating <= 5:
            raise InvalidQuery(f"a rating of {self.min_rating} is not -1 to 5")
        for name, size in (("minimum width", self.min_width), ("minimum height", self.min_height)):
            if size is not None and not 0 <= size <= MAX_DIMENSION:
                raise InvalidQuery(f"{name} {size} is not a usable size in pixels")
        for name, moment in (("after", self.after), ("before", self.before)):
            if moment is not None and not np.isfinite(moment):
                raise InvalidQuery(f"the {name} time {moment} is not a usable time")

    @property
    def active(self) -> bool:
        return bool(
            self.under
            or self.formats
            or self.after is not None
            or self.before is not None
            or self.min_width is not None
            or self.min_height is not None
            or self.media is not None
            or bool(self.contains_text)
            or bool(self.tags)
            or bool(self.not_tags)
            or self.min_rating is not None
        )
