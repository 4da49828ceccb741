"""What an archive already says about a picture: titles, descriptions, keywords, ratings
and creators, as digital-asset tools store them — XMP (embedded, and in a sidecar file
beside the picture), IPTC-IIM and EXIF's description fields.

Where they disagree, the sidecar wins (it is where digiKam, darktable and Lightroom write
their edits), then embedded XMP, then IPTC, then EXIF; keywords are the union of all, each
once. Hierarchical keywords (Lightroom's ``lr:hierarchicalSubject`` "Places|Europe|Paris",
digiKam's ``digiKam:TagsList`` "Places/Europe/Paris") are kept whole, with ``/`` between
levels, and their last level joins the flat keywords.

Nothing here can cost the user a picture: a packet that cannot be read (hostile XML —
entities, a DTD —, damaged IPTC) leaves those facts unknown, and ``problem`` says why.
"""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, IptcImagePlugin

from imgsearch.media import xmp

LR = "http://ns.adobe.com/lightroom/1.0/"
DIGIKAM = "http://www.digikam.org/ns/1.0/"
XMP_BASIC = "http://ns.adobe.com/xap/1.0/"
PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
MAX_KEYWORDS = 1000
"""Most keywords kept for one picture."""
MAX_TEXT = 2000
"""Most characters kept of a title, description or creator."""
_IMAGE_DESCRIPTION, _ARTIST = 0x010E, 0x013B
_XP_TITLE, _XP_COMMENT, _XP_KEYWORDS, _XP_SUBJECT = 0x9C9B, 0x9C9C, 0x9C9E, 0x9C9F
_IPTC_OBJECT_NAME, _IPTC_KEYWORDS, _IPTC_BYLINE, _IPTC_CAPTION = (2, 5), (2, 25), (2, 80), (2, 120)


@dataclass(frozen=True)
class ArchiveMetadata:
    """A picture's archive facts (any may be unknown)."""

    title: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    rating: int | None = None
    """-1 (rejected) to 5, as XMP's ``xmp:Rating``."""
    creator: str | None = None
    problems: tuple[str, ...] = field(default=())
    """Why some of it could not be read, one line per source."""

    def over(self, lower: ArchiveMetadata) -> ArchiveMetadata:
        """These facts, completed from ``lower`` where unknown; keywords and problems of
        both."""
        return ArchiveMetadata(
            self.title or lower.title,
            self.description or lower.description,
            tuple(dict.fromkeys([*self.keywords, *lower.keywords]))[:MAX_KEYWORDS],
            self.rating if self.rating is not None else lower.rating,
            self.creator or lower.creator,
            (*self.problems, *lower.problems),
        )

    def as_dict(self) -> dict[str, Any]:
        """The known facts (what the stores keep as JSON, and the API shows)."""
        stored: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "keywords": list(self.keywords),
            "rating": self.rating,
            "creator": self.creator,
            "problems": list(self.problems),
        }
        return {k: v for k, v in stored.items() if v not in (None, [])}

    @classmethod
    def from_dict(cls, stored: Any) -> ArchiveMetadata | None:
        """As :meth:`as_dict` wrote it (``None`` for nothing or something unreadable)."""
        if isinstance(stored, (str, bytes)):
            try:
                stored = json.loads(stored)
            except ValueError:
                return None
        if not isinstance(stored, dict):
            return None
        rating = stored.get("rating")
        return cls(
            title=_clean(stored.get("title")),
            description=_clean(stored.get("description")),
            keywords=tuple(str(k) for k in stored.get("keywords", []) if str(k)),
            rating=rating if isinstance(rating, int) else None,
            creator=_clean(stored.get("creator")),
            problems=tuple(str(p) for p in stored.get("problems", [])),
        )

    def words(self) -> str:
        """What search reads of it: title, description and keywords, a line each."""
        return "\n".join(t for t in (self.title, self.description, *self.keywords) if t)

    @property
    def empty(self) -> bool:
        return not (self.title or self.description or self.keywords or self.creator) and (
            self.rating is None
        )


def _clean(text: object) -> str | None:
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.replace("\x00", " ").split())
    return cleaned[:MAX_TEXT] or None


def from_xmp(packet: bytes | str, source: str = "XMP") -> ArchiveMetadata:
    """The facts of one XMP packet (a refused one: only a problem)."""
    try:
        root = xmp.parse(packet)
    except xmp.XmpRefused as refused:
        return ArchiveMetadata(problems=(f"{source}: {refused}",))
    basic = xmp.facts(root)
    keywords = list(basic.keywords)
    for name, separator in ((f"{{{LR}}}hierarchicalSubject", "|"), (f"{{{DIGIKAM}}}TagsList", "/")):
        for holder in root.iter(name):
            for li in holder.iter(f"{{{xmp.RDF}}}li"):
                levels = [part.strip() for part in (li.text or "").split(separator) if part.strip()]
                if levels:
                    keywords += ["/".join(levels), levels[-1]]
    return ArchiveMetadata(
        title=_clean(basic.title) or _clean(_text_of(root, f"{{{PHOTOSHOP}}}Headline")),
        description=_clean(basic.description),
        keywords=tuple(dict.fromkeys(k for k in (_clean(k) for k in keywords) if k))[:MAX_KEYWORDS],
        rating=_rating(root),
        creator=_clean(_text_of(root, f"{{{xmp.DC}}}creator")),
    )


def _text_of(root: ET.Element, name: str) -> str | None:
    """The text of the first ``name`` property: an attribute of an ``rdf:Description`` or
    an element (its first ``rdf:li`` when it is a list)."""
    for description in root.iter(f"{{{xmp.RDF}}}Description"):
        if name in description.attrib:
            return description.attrib[name]
    for element in root.iter(name):
        li = next(element.iter(f"{{{xmp.RDF}}}li"), None)
        return (li.text if li is not None else element.text) or None
    return None


def _rating(root: ET.Element) -> int | None:
    value = _text_of(root, f"{{{XMP_BASIC}}}Rating")
    try:
        rating = round(float(value)) if value is not None else None
    except ValueError:
        return None
    return rating if rating is not None and -1 <= rating <= 5 else None


def from_iptc(image: Image.Image) -> ArchiveMetadata:
    """IPTC-IIM's object name, keywords, by-line and caption (JPEG's Photoshop block, TIFF)."""
    if not isinstance(image, ImageFile.ImageFile):
        return ArchiveMetadata()  # made in memory: no file block to read
    try:
        found: dict[tuple[int, int], Any] = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception as exc:  # a damaged block: Pillow raises assorted errors
        return ArchiveMetadata(problems=(f"IPTC: not readable ({type(exc).__name__})",))
    keywords = found.get(_IPTC_KEYWORDS, [])
    listed = keywords if isinstance(keywords, list) else [keywords]
    return ArchiveMetadata(
        title=_clean(found.get(_IPTC_OBJECT_NAME)),
        description=_clean(found.get(_IPTC_CAPTION)),
        keywords=tuple(dict.fromkeys(k for k in (_clean(k) for k in listed) if k)),
        creator=_clean(found.get(_IPTC_BYLINE)),
    )


def _windows_text(value: object) -> str | None:
    """An EXIF XP* field: UTF-16LE bytes (or a tuple of byte values)."""
    if isinstance(value, tuple):
        value = bytes(value)
    if isinstance(value, bytes):
        return _clean(value.decode("utf-16-le", "replace"))
    return _clean(value)


def from_exif(exif: Image.Exif) -> ArchiveMetadata:
    """EXIF's ImageDescription, Artist and Windows' XPTitle, XPSubject, XPComment and
    XPKeywords."""
    try:
        keywords = _windows_text(exif.get(_XP_KEYWORDS)) or ""
        return ArchiveMetadata(
            title=_windows_text(exif.get(_XP_TITLE)) or _windows_text(exif.get(_XP_SUBJECT)),
            description=_clean(exif.get(_IMAGE_DESCRIPTION))
            or _windows_text(exif.get(_XP_COMMENT)),
            keywords=tuple(dict.fromkeys(k.strip() for k in keywords.split(";") if k.strip())),
            creator=_clean(exif.get(_ARTIST)),
        )
    except Exception as exc:  # a value of a type no camera writes
        return ArchiveMetadata(problems=(f"EXIF: not readable ({type(exc).__name__})",))


def embedded(image: Image.Image, exif: Image.Exif) -> ArchiveMetadata:
    """What an opened picture holds: XMP over IPTC over EXIF."""
    packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    found = from_xmp(packet, "embedded XMP") if packet else ArchiveMetadata()
    return found.over(from_iptc(image)).over(from_exif(exif))


def sidecar_of(picture: str | os.PathLike[str]) -> Path | None:
    """The picture's XMP sidecar: ``photo.jpg.xmp`` (darktable, digiKam), else
    ``photo.xmp`` (Lightroom); a regular file, not a link. ``None`` when there is none."""
    path = Path(picture)
    for candidate in (path.with_name(path.name + ".xmp"), path.with_suffix(".xmp")):
        try:
            info = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            return candidate
    return None


def from_sidecar(sidecar: Path) -> ArchiveMetadata:
    """The facts of a sidecar file (unreadable or hostile: only a problem)."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(sidecar, flags), "rb") as handle:
            packet = handle.read(xmp.MAX_PACKET_BYTES + 1)
    except OSError as exc:
        return ArchiveMetadata(problems=(f"sidecar {sidecar.name}: {exc.strerror or exc}",))
    return from_xmp(packet, f"sidecar {sidecar.name}")


def archive_metadata(
    image: Image.Image, exif: Image.Exif, picture: str | os.PathLike[str] | None
) -> ArchiveMetadata:
    """Everything the archive says about ``picture`` (its sidecar over what it embeds)."""
    found = embedded(image, exif)
    sidecar = sidecar_of(picture) if picture is not None else None
    return found if sidecar is None else replace(from_sidecar(sidecar).over(found))


def archive_words(stored: object) -> str | None:
    """What search reads of a stored archive document (JSON text or object)."""
    found = ArchiveMetadata.from_dict(stored)
    return (found.words() or None) if found is not None else None
