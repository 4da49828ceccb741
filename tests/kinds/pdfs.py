"""PDFs for the tests: real documents of pictures (written by Pillow, one picture a page)
and a torture set written byte by byte — each hurting a PDF reader a different way."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def write_pdf(path: Path, pages: list[Image.Image]) -> Path:
    """A PDF with one page per picture, the picture filling it."""
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=72.0)
    return path


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF of ``objects`` (numbered from 1; the first is the catalogue) with a true
    cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def one_page(
    *,
    count: bytes = b"1",
    kids: bytes = b"[3 0 R]",
    box: bytes = b"[0 0 200 300]",
    content: bytes = b"0 0 1 rg 20 20 100 100 re f",
    trailer: bytes = b"",
) -> bytes:
    """A one-page document (a blue square) whose page tree, page size, drawing or trailer
    the caller may twist."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids " + kids + b" /Count " + count + b" >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + box + b" /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        ],
        trailer,
    )


def text_pdf(pages: list[tuple[tuple[float, float, float], list[str]]]) -> bytes:
    """A document of 300 × 300 pt pages, each a coloured square and lines of text in
    Helvetica (a text layer PDFium reads): ``(rgb, lines)`` per page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for rgb, lines in pages:
        drawing = b"%.2f %.2f %.2f rg 20 20 260 120 re f 0 0 0 rg" % rgb
        for n, line in enumerate(lines):
            drawing += b" BT /F1 18 Tf 30 %d Td (%s) Tj ET" % (260 - 30 * n, line.encode("latin-1"))
        page_number = len(objects) + 1
        kids.append(b"%d 0 R" % page_number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page_number + 1, page_number + 2)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream")
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return raw_pdf(objects)


ENCRYPTION = (
    b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
    + b"> /P -4 >> /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">] "
)  # fmt: skip

TORTURE: dict[str, tuple[bytes, str]] = {
    "fine.pdf": (one_page(), "indexed"),
    "encrypted.pdf": (one_page(trailer=ENCRYPTION), "EncryptedPdf"),
    "truncated.pdf": (one_page()[:120], "CorruptPdf"),
    "words.pdf": (b"this is not a PDF, only words\n" * 10, "UnsupportedPdf"),
    "empty.pdf": (b"", "UnsupportedPdf"),
    "no-pages.pdf": (one_page(count=b"0", kids=b"[]"), "CorruptPdf"),
    # a page tree that claims a million pages (one is there), and one that has them
    "lying-count.pdf": (one_page(count=b"1000000"), "PdfLimitExceeded"),
    "million-pages.pdf": (
        one_page(count=b"1000000", kids=b"[" + b"3 0 R " * 1_000_000 + b"]"),
        "PdfLimitExceeded",
    ),
    # 200 km on a side: rendered at the model's size like any page, never at full size
    "huge-page.pdf": (one_page(box=b"[0 0 14400000 14400000]"), "indexed"),
    "sliver.pdf": (one_page(box=b"[0 0 10 100000]"), "PdfLimitExceeded"),
    # a page with no area: PDFium gives it the default size (US Letter)
    "flat-page.pdf": (one_page(box=b"[0 0 200 0]"), "indexed"),
    "garbage-drawing.pdf": (one_page(content=b"q 1 0 0 cm BT ] ] } ((( 1e99999 re f"), "indexed"),
}
"""File name → (bytes, the verdict of indexing it: ``indexed`` or the failure's code)."""


def write_torture(folder: Path) -> dict[str, str]:
    """The torture set in ``folder``; file name → expected verdict."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (data, _) in TORTURE.items():
        (folder / name).write_bytes(data)
    return {name: verdict for name, (_, verdict) in TORTURE.items()}
