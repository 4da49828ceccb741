"""A hit as JSON: the one set of fields that ``imgsearch search --json`` prints and
``POST /v1/search`` answers (the server adds its addresses: ``links``, a region's
``thumbnail``, a segment's ``frame``).

Every hit has every field; those that do not apply are ``null`` (a still image's
``duration``, a whole-image match's ``region``). ``part`` names the part of a many-part
item the hit is on (a PDF's page: ``{"source": "page", "number": 3, "label": "page 3"}``;
a video segment's best frame). Scores are rounded to six decimals.
Times are ISO 8601 in the local time zone of the machine that answers, with its offset
(``2023-06-01T14:03:00+02:00``): ``taken`` is the EXIF capture time when the file has
one (``captured_at_exif``), else its modification time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from imgsearch.kinds import kind_of
from imgsearch.query.confidence import Judgement
from imgsearch.query.expression import Hit
from imgsearch.store.words import line_as_dict


def local_time(seconds: float) -> str:
    """POSIX seconds as ISO 8601 local time with its offset, to the second."""
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def part_as_dict(hit: Hit) -> dict[str, Any] | None:
    """The part of a many-part item a hit names — a PDF's page, a video's frame — as its
    source, number (a page's from 1, a frame's in its stream), time (a frame's, seconds)
    and how a person names it (``page 3``); ``None`` for a hit on a picture or its box."""
    region = hit.region.region if hit.region is not None else None
    kind = kind_of(hit.image.kind)
    if region is None or kind.part is None or region.source != kind.part:
        return None
    return {
        "source": region.source,
        "number": region.frame,
        "time": region.time,
        "label": kind.part_label(region),
    }


def hit_as_dict(hit: Hit) -> dict[str, Any]:
    """The hit's JSON fields (see the module docstring)."""
    record = hit.image
    return {
        "rank": hit.rank,
        "id": hit.id,
        "relevance": _score(hit.relevance),
        "cosine": _score(hit.cosine),
        "metadata_score": _score(hit.metadata_score),
        "confidence": _score(hit.confidence),
        "path": record.path,
        "width": record.width,
        "height": record.height,
        "format": record.format,
        "bytes": record.size,
        "taken": local_time(record.sort_time),
        "captured_at_exif": record.captured_at is not None,
        "region": None if hit.region is None else hit.region.as_dict(),
        "text": None if hit.text is None else line_as_dict(hit.text),
        "words_in": list(hit.words_in),
        "media": record.kind,
        "part": part_as_dict(hit),
        "duration": record.duration,
        "fps": record.fps,
        "codec": record.codec,
        "segment": None if hit.segment is None else hit.segment.as_dict(),
        "archive": None if record.archive is None else record.archive.as_dict(),
    }


def judgement_as_dict(judgement: Judgement) -> dict[str, Any]:
    """What a page of hits' confidences rest on, as ``POST /v1/search`` answers it."""
    return {"judged": judgement.judged, "cut": judgement.cut, "note": judgement.note}
