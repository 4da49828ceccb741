"""How the HTTP API shows what the index holds: images, videos, regions, frames, hits.

One place builds these shapes, so a search hit, an image's page and a region's crop
link agree on every route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imgsearch.kinds.segments import Segment
from imgsearch.query.expression import Hit
from imgsearch.query.hits import hit_as_dict, local_time
from imgsearch.server.schemas import ImageOut, Links, RegionOut, TextLineOut
from imgsearch.store import ImageRecord, Region, RegionRecord
from imgsearch.store.words import line_as_dict
from imgsearch.types import TextLine

MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "ICO": "image/x-icon",
    "MPO": "image/jpeg",
    "MP4": "video/mp4",
    "MOV": "video/quicktime",
    "MKV": "video/x-matroska",
    "WEBM": "video/webm",
    "AVI": "video/x-msvideo",
    "PDF": "application/pdf",
}
"""Content types of the files served, by the format the index recorded."""


def links(image_id: int) -> Links:
    base = f"/v1/images/{image_id}"
    return Links(self=base, file=f"{base}/file", thumbnail=f"{base}/thumbnail")


def frame_link(video_id: int, time: float) -> str:
    """The address of a JPEG of a video's frame at ``time`` seconds."""
    return f"/v1/videos/{video_id}/frame?t={time:.3f}"


PART_LINKS: dict[str, Callable[[int, Region], str]] = {
    "frame": lambda item_id, part: frame_link(item_id, part.time or 0.0),
    "page": lambda item_id, part: f"/v1/pdfs/{item_id}/page/{part.frame}",
}
"""The address of the JPEG of an item's part, by the part's source (its kind's part)."""
PART_FRAGMENTS: dict[str, Callable[[Region], str]] = {
    "frame": lambda part: f"#t={part.time or 0.0:.3f}",
    "page": lambda part: f"#page={part.frame}",
}
"""Where in the file a viewer opens at the part (media fragments, PDF open parameters)."""


def region_out(region: RegionRecord) -> dict[str, Any]:
    """A region as the API shows it, with the address of its picture: the crop of its box,
    or the JPEG of the item's part it is (a video frame, a PDF page)."""
    thumbnail = None
    if region.region.box is not None:
        thumbnail = f"/v1/images/{region.image_id}/regions/{region.id}/thumbnail"
    elif (link := PART_LINKS.get(region.region.source)) is not None:
        thumbnail = link(region.image_id, region.region)
    return {**region.as_dict(), "thumbnail": thumbnail}


def video_facts(record: ImageRecord) -> dict[str, Any]:
    return {
        "media": record.kind,
        "duration": record.duration,
        "fps": record.fps,
        "codec": record.codec,
        "frame_count": record.frame_count,
    }


def image_out(
    record: ImageRecord,
    regions: list[RegionRecord] | None = None,
    text: list[TextLine] | None = None,
    *,
    preview: str | None = None,
    auto_tags: dict[str, float] | None = None,
) -> ImageOut:
    return ImageOut(
        regions=[RegionOut.model_validate(region_out(r)) for r in regions or []],
        text=None if text is None else [TextLineOut.model_validate(line_as_dict(t)) for t in text],
        id=record.id,
        path=record.path,
        size=record.size,
        width=record.width,
        height=record.height,
        format=record.format,
        taken=local_time(record.sort_time),
        camera=record.camera,
        latitude=record.latitude,
        longitude=record.longitude,
        caption=record.caption,
        tags=list(record.tags),
        auto_tags=auto_tags,
        archive=None if record.archive is None else record.archive.as_dict(),
        links=links(record.id),
        preview=preview,
        **video_facts(record),
    )


def segment_out(video_id: int, segment: Segment) -> dict[str, Any]:
    return {**segment.as_dict(), "frame": frame_link(video_id, segment.best)}


def hit_out(hit: Hit, preview: str | None = None) -> dict[str, Any]:
    """The library's hit fields (:func:`imgsearch.query.hits.hit_as_dict`, the same the
    command line prints) with this server's addresses, and the picture's ``preview`` where
    one was asked for (:mod:`imgsearch.server.previews`)."""
    fields = hit_as_dict(hit)
    if hit.region is not None:
        fields["region"] = region_out(hit.region)
        if fields["part"] is not None:
            part, source = hit.region.region, hit.region.region.source
            fields["part"]["picture"] = fields["region"]["thumbnail"]
            fragment = PART_FRAGMENTS[source](part) if source in PART_FRAGMENTS else ""
            fields["part"]["open"] = f"{links(hit.id).file}{fragment}"
    if hit.segment is not None:
        fields["segment"] = segment_out(hit.id, hit.segment)
    return {**fields, "links": links(hit.id), "preview": preview}
