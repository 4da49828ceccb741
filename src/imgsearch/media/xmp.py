"""XMP packets: reading the keywords and description a packet holds, and merging new ones
into it without losing anything else (another tool's develop history, ratings, GPS).

Parsing goes through ``defusedxml``: a packet with a document type, an entity declaration
(the "billion laughs"), or a reference to an external entity is refused as
:class:`XmpRefused`, never expanded or fetched.

The parts imgsearch reads and writes, as every digital-asset tool does:

- ``dc:subject`` — an ``rdf:Bag`` of keywords (digiKam, darktable, Lightroom, exiftool's
  ``XMP:Subject``);
- ``dc:description`` — an ``rdf:Alt`` of captions by language (``x-default`` first);
- ``dc:title`` — the same shape.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

X = "adobe:ns:meta/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFIXES = {"x": X, "rdf": RDF, "dc": DC}
MAX_PACKET_BYTES = 4 * 2**20
"""Largest XMP packet read (a sidecar holding a develop history is tens of kilobytes)."""

for _prefix, _uri in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)


class XmpRefused(ValueError):
    """A packet that is not read: hostile (entities, a DTD), too large, or not XMP."""


@dataclass(frozen=True)
class XmpFacts:
    """What a packet says that imgsearch uses."""

    keywords: tuple[str, ...] = ()
    description: str | None = None
    title: str | None = None


def parse(packet: bytes | str) -> ET.Element:
    """The packet's ``x:xmpmeta`` (or bare ``rdf:RDF``) element; raises :class:`XmpRefused`."""
    raw = packet.encode("utf-8") if isinstance(packet, str) else packet
    if len(raw) > MAX_PACKET_BYTES:
        raise XmpRefused(f"an XMP packet of {len(raw):,} bytes (at most {MAX_PACKET_BYTES:,})")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmpRefused(
            f"the XMP packet declares entities or a DTD ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise XmpRefused(f"not well-formed XML: {exc}") from None
    if root.tag not in (f"{{{X}}}xmpmeta", f"{{{RDF}}}RDF"):
        raise XmpRefused(f"not an XMP packet (its root is {root.tag})")
    return root


def _rdf(root: ET.Element) -> ET.Element:
    if root.tag == f"{{{RDF}}}RDF":
        return root
    found = root.find(f"{{{RDF}}}RDF")
    if found is None:
        found = ET.SubElement(root, f"{{{RDF}}}RDF")
    return found


def facts(root: ET.Element) -> XmpFacts:
    """The keywords (every ``dc:subject`` item, each once), description and title."""
    rdf = _rdf(root)
    keywords: list[str] = []
    for subject in rdf.iter(f"{{{DC}}}subject"):
        keywords += [(li.text or "").strip() for li in subject.iter(f"{{{RDF}}}li")]
    return XmpFacts(
        tuple(dict.fromkeys(k for k in keywords if k)),
        _alternative(rdf, "description"),
        _alternative(rdf, "title"),
    )


def _alternative(rdf: ET.Element, name: str) -> str | None:
    """The ``x-default`` (else first) text of a ``dc:<name>`` language alternative."""
    for element in rdf.iter(f"{{{DC}}}{name}"):
        items = list(element.iter(f"{{{RDF}}}li"))
        chosen = next((li for li in items if li.get(XML_LANG) == "x-default"), None)
        chosen = chosen if chosen is not None else (items[0] if items else None)
        if chosen is not None and (chosen.text or "").strip():
            return (chosen.text or "").strip()
    return None


def merged(root: ET.Element, keywords: tuple[str, ...], description: str | None) -> ET.Element:
    """``root`` with ``keywords`` added to its ``dc:subject`` (those it had kept, in order)
    and, when given, ``description`` as its ``x-default`` description (other languages
    kept). Everything else stays as it was."""
    rdf = _rdf(root)
    had = facts(root)
    subjects = list(rdf.iter(f"{{{DC}}}subject"))
    holder = _holder(rdf, subjects[0] if subjects else None)
    for description_holder in rdf.findall(f"{{{RDF}}}Description"):
        for subject in description_holder.findall(f"{{{DC}}}subject"):
            description_holder.remove(subject)
    subject = ET.SubElement(holder, f"{{{DC}}}subject")
    bag = ET.SubElement(subject, f"{{{RDF}}}Bag")
    for keyword in dict.fromkeys([*had.keywords, *keywords]):
        ET.SubElement(bag, f"{{{RDF}}}li").text = keyword
    if description is not None:
        _set_default(rdf, holder, "description", description)
    return root


def _holder(rdf: ET.Element, subject: ET.Element | None) -> ET.Element:
    """The ``rdf:Description`` to write into: the one that held ``dc:subject``, else the
    first, else a new one."""
    descriptions = rdf.findall(f"{{{RDF}}}Description")
    if subject is not None:
        for description in descriptions:
            if subject in list(description):
                return description
    if descriptions:
        return descriptions[0]
    return ET.SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})


def _set_default(rdf: ET.Element, holder: ET.Element, name: str, text: str) -> None:
    element = next(rdf.iter(f"{{{DC}}}{name}"), None)
    if element is None:
        element = ET.SubElement(holder, f"{{{DC}}}{name}")
    alt = element.find(f"{{{RDF}}}Alt")
    if alt is None:
        element.clear()
        alt = ET.SubElement(element, f"{{{RDF}}}Alt")
    default = next(
        (li for li in alt.findall(f"{{{RDF}}}li") if li.get(XML_LANG) == "x-default"), None
    )
    if default is None:
        default = ET.Element(f"{{{RDF}}}li", {XML_LANG: "x-default"})
        alt.insert(0, default)
    default.text = text


def empty() -> ET.Element:
    """A new packet: ``x:xmpmeta`` holding an empty ``rdf:RDF``."""
    root = ET.Element(f"{{{X}}}xmpmeta", {f"{{{X}}}xmptk": "imgsearch"})
    ET.SubElement(root, f"{{{RDF}}}RDF")
    return root


def serialise(root: ET.Element) -> bytes:
    """The packet as UTF-8 XML, indented, with its declaration."""
    ET.indent(root, space=" ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
