"""PDF documents: an item whose parts are its pages, each rendered and found on its own.

Scans, brochures and catalogues are PDFs. Every page is rendered with PDFium (through
``pypdfium2``, the ``pdf`` extra) at :attr:`PdfLimits.render_side` pixels on its long side
— enough for the model, a few hundred KB of memory whatever the page's size in points —
embedded, and stored as a region of the document (``source`` ``page``, ``frame`` its
number from 1). A query finds the pages themselves: each page that matches is a hit of its
own, naming the page; the document's thumbnail is its first page. The words printed on
its pages are read from the document's text layer (no OCR needed; a scan without one has
none), one line per PDFium text rectangle with its page, and find the page that holds
them; a run that reads text (``--ocr``) reads the pages without a text layer (scans)
from a rendering at the reader's size.

A document is in the index whole or not at all; what makes it a recorded failure, read
before any page is rendered where it can be (each cap documented in docs/security.md):

- not a PDF PDFium opens (:class:`~imgsearch.errors.UnsupportedPdf`), one that needs a
  password (:class:`~imgsearch.errors.EncryptedPdf`), a damaged one or a page that cannot
  be loaded (:class:`~imgsearch.errors.CorruptPdf`);
- more pages than :attr:`PdfLimits.max_pages`, a page whose size is not a usable one (not
  positive, or more elongated than :attr:`PdfLimits.max_aspect`), or rendering that goes
  past :attr:`PdfLimits.max_seconds` (:class:`~imgsearch.errors.PdfLimitExceeded`).

PDFium is not thread-safe: every call into it holds :data:`PDFIUM`, and every document,
page and bitmap is closed explicitly under it (not left to a finaliser on another thread).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import (
    CorruptPdf,
    EncryptedPdf,
    InvalidQuery,
    MissingExtra,
    PdfLimitExceeded,
    UnsupportedPdf,
)
from imgsearch.kinds.base import MediaKind, PartMatch, each_part
from imgsearch.media.sniff import looks_like_image
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.store import ImageFacts, ImageRecord, Region, RegionRecord
from imgsearch.types import Box, TextLine

PDFIUM = threading.RLock()
"""Held around every call into PDFium, which must not run on two threads at once."""


@dataclass(frozen=True)
class PdfLimits:
    """Caps that make a file a bad PDF rather than a long wait or a large allocation."""

    max_pages: int = 2000
    """Pages one document may have; more is :class:`~imgsearch.errors.PdfLimitExceeded`."""
    max_aspect: float = 100.0
    """How elongated a page may be (long side over short side), as for images."""
    render_side: int = 448
    """Pixels on a page's long side when it is rendered for the model."""
    max_seconds: float = 300.0
    """Rendering one document's pages for the index, at most (checked between pages)."""
    max_text_lines: int = 20_000
    """Lines of a document's text layer kept, at most (a page of 2,000 at most)."""


class PdfKind(MediaKind):
    name = "pdf"
    part = "page"
    extensions = frozenset({".pdf"})
    extra = "pdf"
    read_parts = True

    def __init__(self, limits: PdfLimits | None = None) -> None:
        self.limits = limits or PdfLimits()

    def claims(self, head: bytes, suffix: str) -> bool:
        return head.startswith(b"%PDF-") or (suffix == ".pdf" and not looks_like_image(head))

    def read_facts(self, path: str, facts: ImageFacts) -> ImageFacts:
        with _Document(path, path) as pdf, PDFIUM:
            pages = len(pdf)
            self._check_count(pages, path)
            width, height = _page_size(pdf, 0, path, self.limits)
            created = _pdf_time(pdf.get_metadata_value("CreationDate"))
        return replace(
            facts,
            width=round(width),
            height=round(height),
            format="PDF",
            captured_at=created,
            frame_count=pages,
            kind=self.name,
        )

    def parts(
        self, path: str, images: ImagePipeline
    ) -> Iterator[tuple[list[Region], list[Pixels]]]:
        def model_input(page: tuple[int, Image.Image]) -> Pixels:
            pixels = images.read_image(page[1], name=f"{path} page {page[0]}")[1]
            assert pixels is not None
            return pixels

        for batch, pixels in images.read_behind(self._pages(path), model_input):
            yield [Region("page", frame=number) for number, _ in batch], pixels

    def _pages(self, path: str) -> Iterator[tuple[int, Image.Image]]:
        """Each page, rendered for the model, numbered from 1."""
        deadline = time.monotonic() + self.limits.max_seconds
        with _Document(path, path) as pdf:
            with PDFIUM:
                pages = len(pdf)
            self._check_count(pages, path)
            for index in range(pages):
                if time.monotonic() > deadline:
                    raise PdfLimitExceeded(
                        f"rendering its pages took over {self.limits.max_seconds:g} s "
                        f"(stopped at page {index + 1} of {pages})",
                        source=path,
                    )
                yield index + 1, _render(pdf, index, self.limits.render_side, path, self.limits)

    def _check_count(self, pages: int, path: str) -> None:
        if pages < 1:
            raise CorruptPdf("has no page", source=path)
        if pages > self.limits.max_pages:
            raise PdfLimitExceeded(
                f"has {pages:,} pages; at most {self.limits.max_pages:,} are indexed",
                source=path,
                hint="split the document, or raise PdfLimits.max_pages",
            )

    def text_layer(self, path: str) -> list[TextLine]:
        """Each page's text segments (PDFium's rectangles: a line, or a run of one) with
        their boxes in points from the page's top left corner."""
        lines: list[TextLine] = []
        with _Document(path, path) as pdf, PDFIUM:
            for index in range(min(len(pdf), self.limits.max_pages)):
                room = self.limits.max_text_lines - len(lines)
                if room <= 0:
                    break
                lines += _page_lines(pdf, index, min(room, PAGE_TEXT_LINES), path)
        return lines

    def part_image(self, path: str, part: Region, side: int) -> tuple[Image.Image, tuple[int, int]]:
        with _Document(path, path) as pdf:
            index = (part.frame or 1) - 1
            with PDFIUM:
                width, height = _page_size(pdf, index, path, self.limits)
            image = _render(pdf, index, side, path, self.limits)
        return image, (max(1, round(width)), max(1, round(height)))

    def matches(
        self, item: ImageRecord, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]
    ) -> list[PartMatch]:
        return each_part(parts, cosines)

    def poster(self, parts: Sequence[RegionRecord], cosines: NDArray[np.float32]) -> Region:
        return Region("page", frame=1)  # a document's cover is how people know it

    def part_named(self, item: ImageRecord, at: float) -> Region:
        pages = item.frame_count or 0
        if not (float(at).is_integer() and 1 <= at <= pages):
            raise InvalidQuery(f"{item.path} has no page {at:g} (it has {pages})")
        return Region("page", frame=int(at))

    def picture(self, stream: BinaryIO, item: ImageRecord, part: Region, size: int) -> Image.Image:
        with _Document(stream, item.path) as pdf:
            with PDFIUM:
                pages = len(pdf)
            number = part.frame or 1
            if not 1 <= number <= pages:
                raise CorruptPdf(f"has no page {number} any more", source=item.path)
            return _render(pdf, number - 1, size, item.path, self.limits)


class _Document:
    """A PDF opened under the lock and closed under it, its errors typed for ``name``."""

    def __init__(self, source: str | BinaryIO, name: str) -> None:
        self.source, self.name = source, name
        self.pdf: Any = None

    def __enter__(self) -> Any:
        try:
            import pypdfium2 as pdfium
        except ImportError:
            raise MissingExtra("PDFs", "pdf", source=self.name) from None
        with PDFIUM:
            _forget_last_error(pdfium)
            try:
                self.pdf = pdfium.PdfDocument(self.source)
            except pdfium.PdfiumError as exc:
                raise _opening_error(str(exc), self.name, self._head()) from None
        return self.pdf

    def _head(self) -> bytes:
        if not isinstance(self.source, str):
            return b"%PDF-"  # a stream served: a file indexed as a PDF
        try:
            with Path(self.source).open("rb") as handle:
                return handle.read(8)
        except OSError:
            return b""

    def __exit__(self, *exc: object) -> None:
        with PDFIUM:
            self.pdf.close()


NOWHERE = "/nonexistent/imgsearch/no.pdf"


def _forget_last_error(pdfium: Any) -> None:
    """Set PDFium's last error to "file not found" (opening a path that is not there).

    PDFium reports why a document failed to load through one global last error, which
    some failures (a document without a page tree) do not set: the error of an earlier
    document would then be reported — an encrypted one's "password" for a damaged one.
    Set to a known value first, "file" after opening an existing file means "no error
    given"."""
    import pypdfium2.raw as raw

    document = raw.FPDF_LoadDocument(NOWHERE.encode(), None)
    if document:  # not expected: the path names nothing
        raw.FPDF_CloseDocument(document)


def _opening_error(message: str, name: str, head: bytes) -> Exception:
    """PDFium's refusal as the error it means: a password, damage, or no PDF at all."""
    said = message.lower()
    if "password" in said or "security" in said:
        return EncryptedPdf(
            "is encrypted: it needs a password", source=name, hint="index an unlocked copy"
        )
    if not head.startswith(b"%PDF-"):
        return UnsupportedPdf("is not a PDF (no %PDF- header)", source=name)
    if "success" in said or "file" in said:  # PDFium gave no error, and no document
        return CorruptPdf("has no page tree that can be read", source=name)
    return CorruptPdf("is damaged or truncated: PDFium cannot read it", source=name)


def _page_size(pdf: Any, index: int, name: str, limits: PdfLimits) -> tuple[float, float]:
    """Page ``index``'s size in points, checked (caller holds :data:`PDFIUM`)."""
    try:
        width, height = (float(v) for v in pdf.get_page_size(index))
    except Exception as exc:  # PDFium's own error, or a size it cannot give
        raise CorruptPdf(f"page {index + 1} cannot be read ({exc})", source=name) from None
    if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
        raise PdfLimitExceeded(f"page {index + 1} has no usable size", source=name)
    if max(width, height) / min(width, height) > limits.max_aspect:
        raise PdfLimitExceeded(
            f"page {index + 1} is {width:g} × {height:g} pt, more elongated than "
            f"{limits.max_aspect:g}:1",
            source=name,
        )
    return width, height


def _page(pdf: Any, index: int, name: str) -> Any:
    """Page ``index`` of ``pdf``, loaded (caller holds :data:`PDFIUM`), or why it cannot be."""
    import pypdfium2 as pdfium

    try:
        return pdf[index]
    except pdfium.PdfiumError as exc:
        raise CorruptPdf(f"page {index + 1} cannot be read ({exc})", source=name) from None


def _render(pdf: Any, index: int, side: int, name: str, limits: PdfLimits) -> Image.Image:
    """Page ``index`` as RGB, ``side`` px on its long side whatever its size in points."""
    import pypdfium2 as pdfium

    with PDFIUM:
        width, height = _page_size(pdf, index, name, limits)
        page = _page(pdf, index, name)
        try:
            bitmap = page.render(scale=side / max(width, height), may_draw_forms=False)
            try:
                image: Image.Image = bitmap.to_pil().convert("RGB")  # a copy: freed next
                return image
            finally:
                bitmap.close()
        except pdfium.PdfiumError as exc:
            raise CorruptPdf(f"page {index + 1} cannot be rendered ({exc})", source=name) from None
        finally:
            page.close()


PAGE_TEXT_LINES = 2_000


def _page_lines(pdf: Any, index: int, most: int, name: str) -> list[TextLine]:
    """Up to ``most`` text lines of page ``index`` (caller holds :data:`PDFIUM`)."""
    import pypdfium2 as pdfium

    page = _page(pdf, index, name)
    try:
        top = float(page.get_height())
        text = page.get_textpage()
        try:
            lines = []
            for n in range(min(text.count_rects(), most)):
                left, bottom, right, upper = text.get_rect(n)
                said = " ".join(text.get_text_bounded(left, bottom, right, upper).split())
                # clipped to the page: text may be placed partly off it
                x, y = max(0.0, left), max(0.0, top - upper)
                w, h = right - x, top - bottom - y
                if said and w > 0 and h > 0 and all(map(math.isfinite, (x, y, w, h))):
                    lines.append(TextLine(said, Box(x, y, w, h), 1.0, page=index + 1))
            return lines
        finally:
            text.close()
    except pdfium.PdfiumError as exc:
        raise CorruptPdf(f"page {index + 1}'s text cannot be read ({exc})", source=name) from None
    finally:
        page.close()


_PDF_TIME = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz]|[+-]\d{2}'?\d{2}'?|[+-]\d{2})?"
)


def _pdf_time(text: str | None) -> float | None:
    """A PDF date (``D:YYYYMMDDHHmmSSOHH'mm'``) as POSIX seconds; ``None`` when absent or
    unreadable. Without a zone it is read as UTC (the spec leaves it unknown)."""
    found = _PDF_TIME.match((text or "").strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, zone = found.groups()
    try:
        moment = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), tzinfo=UTC,
        ).timestamp()  # fmt: skip
    except (ValueError, OverflowError):
        return None
    if zone and zone not in "Zz":
        digits = zone[1:].replace("'", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
        moment -= offset if zone[0] == "+" else -offset
    return float(moment)
