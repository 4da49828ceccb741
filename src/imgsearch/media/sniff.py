"""What a file holds, by its first bytes: a video container or a still image.

The walk picks files by extension; these signatures decide what they are, so an MP4
named ``.jpg`` is indexed as a video and a PNG named ``.mp4`` as an image. ISO-BMFF
(``ftyp``) files are videos unless their brand is a still-image one (HEIF, AVIF).
"""

from __future__ import annotations

IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1",
     b"avif", b"avis", b"jpeg", b"crx "}
)  # fmt: skip
"""ISO-BMFF brands of still images (HEIF, AVIF, Canon raw): an ``ftyp`` box, no video."""


def looks_like_video(head: bytes) -> bool:
    """Whether a file's first bytes are those of MP4/MOV (not a HEIF/AVIF image),
    Matroska/WebM or AVI."""
    if head[4:8] == b"ftyp":
        return head[8:12] not in IMAGE_BRANDS
    return (
        head[4:8] in (b"moov", b"mdat", b"free", b"wide")
        or head.startswith(b"\x1a\x45\xdf\xa3")
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
    )


def looks_like_image(head: bytes) -> bool:
    """Whether a file's first bytes are those of a common still-image format."""
    return (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"II*\x00", b"MM\x00*"))
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or (head[4:8] == b"ftyp" and head[8:12] in IMAGE_BRANDS)
    )


def format_name(demuxer: str, head: bytes) -> str:
    """The container as people name it (MP4, MOV, MKV, WEBM, AVI), from FFmpeg's demuxer
    name and the file's first bytes (FFmpeg reads MP4 and MOV, MKV and WebM alike)."""
    if "mp4" in demuxer.split(","):
        return "MOV" if head[8:12] == b"qt  " else "MP4"
    if demuxer.startswith("matroska"):
        return "WEBM" if b"webm" in head else "MKV"
    return demuxer.split(",")[0].upper()
