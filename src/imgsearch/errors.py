"""One exception tree for everything imgsearch raises on purpose.

Every error carries a message that says what went wrong (naming the file,
field or model involved) and a ``hint`` that says what the user can do about
it, in the words of the domain (images, folders, models) rather than of one
interface: the CLI and the HTTP layer translate errors in one place each and add
their own phrasing there (flag names, JSON fields). Library code never prints or
exits.

::

    ImgsearchError
    ├── InputError                  the caller handed in something unusable
    │   ├── ImageError              one image could not be used (has .source)
    │   │   ├── ImageNotFound       no such file
    │   │   ├── ImageUnreadable     exists but cannot be opened (permissions, a folder)
    │   │   ├── EmptyFile           0 bytes: still being copied, or truncated
    │   │   ├── MissingExtra        reading it needs an optional extra not installed
    │   │   ├── UnsupportedImage    not an image format we can decode
    │   │   ├── CorruptImage        recognised but truncated or damaged
    │   │   ├── PixelLimitExceeded  more pixels or decoded bytes than the caps (bomb guard)
    │   │   ├── InvalidImageDimensions a side outside the allowed range, or far too elongated
    │   │   └── FileTooLarge        a file larger than the byte cap (read before decoding)
    │   ├── InvalidBox              malformed region, zero area, outside the image
    │   ├── InvalidText             empty or not a string
    │   ├── InvalidQuery            a search that cannot be run (no parts, bad weight, bad filter)
    │   │   ├── EmptyQuery          nothing to search for
    │   │   └── TextNotSupported    a text for an image-only model
    │   ├── InvalidSettings         a configuration value or file that cannot be used
    │   ├── AnnotationsUnusable     an annotations file or folder of no format we read
    │   └── NotIndexed              an image id or path the index does not hold
    ├── ModelError                  a model could not be found or used
    │   ├── ModelNotFound           unknown catalog name, missing folder or hub repo
    │   ├── ModelNotCached          offline and not in the local cache
    │   ├── IncompleteModel         files missing or checksums wrong
    │   └── UnrecognizedModelLayout a folder that holds no layout we know
    ├── ExportError                 converting a checkpoint failed or did not verify
    └── StoreError                  the index cannot be opened or written
        ├── IndexNotFound           no index at that location (search before index)
        ├── StoreUnavailable        the database cannot be reached
        ├── IndexBusy               another index run of the same files is writing
        └── ModelMismatch           the index holds vectors of another model or dim
"""

from __future__ import annotations

import re


class ImgsearchError(Exception):
    """Base of every error imgsearch raises deliberately.

    ``str(error)`` is the one-line message; ``hint`` (possibly empty) tells the
    user what to do next.
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(ImgsearchError):
    """The caller's input (image, box, text) cannot be used."""


class ImageError(InputError):
    """One image could not be used; ``source`` names it (a path or a description)."""

    def __init__(self, message: str, *, source: str, hint: str = "") -> None:
        super().__init__(f"{source}: {message}", hint=hint)
        self.source = source
        self.reason = message


class ImageNotFound(ImageError):
    """The image path does not exist."""


class ImageUnreadable(ImageError):
    """The path exists but cannot be read (permissions, a directory, I/O error)."""


class EmptyFile(ImageError):
    """The file holds no bytes at all (a copy still arriving, a truncated download): not
    a format question, so not :class:`UnsupportedImage`."""


class MissingExtra(ImageError):
    """Reading the file needs an optional part of imgsearch that is not installed (PyAV for
    videos, pypdfium2 for PDFs): the file is fine, and an index run reads it again as soon
    as the extra is there."""

    def __init__(self, what: str, extra: str, *, source: str) -> None:
        super().__init__(
            f"reading {what} needs the {extra} extra",
            source=source,
            hint=f"pip install 'imgsearch[{extra}]'; the next index run reads it then",
        )
        self.extra = extra


EXTRA_MODULES = {"video": "av", "pdf": "pypdfium2"}
"""The module each optional extra brings that reading a file needs."""


def extra_named(message: str) -> str | None:
    """The extra a :class:`MissingExtra` failure's stored message names (``None``: none)."""
    found = re.search(r"needs the (\w+) extra", message)
    return found.group(1) if found and found.group(1) in EXTRA_MODULES else None


class UnsupportedImage(ImageError):
    """The bytes are not in any image format imgsearch can decode."""


class CorruptImage(ImageError):
    """The format was recognised but the data is truncated or damaged."""


class PixelLimitExceeded(ImageError):
    """The image has more pixels, or would decode to more bytes, than the configured caps
    (the decompression-bomb guard); checked from the header, before any pixel is decoded."""


class InvalidImageDimensions(ImageError):
    """A side is shorter or longer than allowed, or the image is too elongated to use."""


class FileTooLarge(ImageError):
    """The file is larger than the cap on bytes read for one image."""


class VideoError(ImageError):
    """One video could not be used (see :mod:`imgsearch.media.video`)."""


class UnsupportedVideo(VideoError):
    """Not a container FFmpeg can open, or one without a video stream."""


class CorruptVideo(VideoError):
    """The video was recognised but its data is damaged or truncated."""


class EmptyVideo(VideoError):
    """The video holds no frame that can be decoded."""


class VideoLimitExceeded(VideoError):
    """Frames larger, or a duration longer, than the caps (checked from the header)."""


class PdfError(ImageError):
    """One PDF could not be used (see :mod:`imgsearch.kinds.pdf`)."""


class UnsupportedPdf(PdfError):
    """Not a document PDFium can open, or this install cannot read PDFs."""


class EncryptedPdf(PdfError):
    """The document needs a password to be read."""


class CorruptPdf(PdfError):
    """The document was recognised but is damaged: truncated, or a page cannot be read."""


class PdfLimitExceeded(PdfError):
    """More pages than the cap, a page of an unusable size, or rendering past its time."""


class InvalidBox(InputError):
    """A region box is malformed, has zero area, or lies outside the image."""


class InvalidText(InputError):
    """A text query is empty or not a string."""


class InvalidQuery(InputError):
    """A search that cannot be run: no parts, a bad weight, an unusable filter."""


class EmptyQuery(InvalidQuery):
    """A search without anything to search for."""


class TextNotSupported(InvalidQuery):
    """A text (query or vectorize) for a model that embeds only images."""


class InvalidSettings(InputError):
    """A setting (argument, variable or config file) that cannot be used as given."""


class AnnotationsUnusable(InputError):
    """An annotations path that is missing or in no format imgsearch reads (entries that
    cannot be used inside a readable file are reported one by one instead)."""


class NotIndexed(InputError):
    """An image id or path that the index does not hold."""


class ModelError(ImgsearchError):
    """A model could not be found, downloaded or loaded."""


class ModelNotFound(ModelError):
    """No model answers to that name, folder or hub repo id."""


class ModelNotCached(ModelError):
    """Offline mode is on and the model is not in the local cache."""


class IncompleteModel(ModelError):
    """The model folder lacks files it needs, or they fail their checksums."""


class UnrecognizedModelLayout(ModelError):
    """A folder exists but holds no model layout imgsearch knows how to load."""


class ExportError(ImgsearchError):
    """Converting a checkpoint to ONNX failed, or the result did not match the source."""


class StoreError(ImgsearchError):
    """The index (its database or vector files) cannot be opened, read or written."""


class IndexNotFound(StoreError):
    """There is no index at that location yet."""


class StoreUnavailable(StoreError):
    """The database behind the index cannot be reached (a server down, a wrong URL)."""


class IndexBusy(StoreError):
    """Another index run of the same files (the whole index, or the same part) is writing
    to the index: two would each count the other's additions as duplicates."""


class DaemonAlreadyRunning(StoreError):
    """Another ``imgsearch daemon`` already answers for this index."""


class ModelMismatch(StoreError):
    """The index was built with another model (or another vector length).

    ``indexed`` and ``requested`` name the two models, so that each interface can say
    how to pick one in its own words."""

    def __init__(
        self, message: str, *, hint: str = "", indexed: str = "", requested: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.indexed = indexed
        self.requested = requested


__all__ = [
    "CorruptImage",
    "EmptyQuery",
    "ExportError",
    "FileTooLarge",
    "ImageError",
    "ImageNotFound",
    "ImageUnreadable",
    "ImgsearchError",
    "IncompleteModel",
    "IndexNotFound",
    "InputError",
    "InvalidBox",
    "InvalidImageDimensions",
    "InvalidQuery",
    "InvalidSettings",
    "InvalidText",
    "ModelError",
    "ModelMismatch",
    "ModelNotCached",
    "ModelNotFound",
    "NotIndexed",
    "PixelLimitExceeded",
    "StoreError",
    "StoreUnavailable",
    "TextNotSupported",
    "UnrecognizedModelLayout",
    "UnsupportedImage",
]
