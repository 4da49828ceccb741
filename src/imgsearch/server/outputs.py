"""How the HTTP API shows what the index holds: images, videos, regions, frames, hits.

One place builds these shapes, so a search hit, an image's page and a region's crop
link agree on every route.
"""

from __future__ import annotations

from typing import Any

from imgsearch.query.expression import Hit
from imgsearch.query.hits import hit_as_dict, local_time
from imgsearch.query.segments import Segment
from imgsearch.server.schemas import ImageOut, Links, RegionOut, TextLineOut
from imgsearch.store import ImageRecord, RegionRecord
from imgsearch.store.text import line_as_dict
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
}
"""Content types of the files served, by the format the index recorded."""


def links(image_id: int) -> Links:
    base = f"/v1/images/{image_id}"
    return Links(self=base, file=f"{base}/file", thumbnail=f"{base}/thumbnail")


def frame_link(video_id: int, time: float) -> str:
    """The address of a JPEG of a video's frame at ``time`` seconds."""
    return f"/v1/videos/{video_id}/frame?t={time:.3f}"


def region_out(region: RegionRecord) -> dict[str, Any]:
    """A region as the API shows it, with the address of its picture: the crop of its box,
    or a video frame's JPEG."""
    thumbnail = None
    if region.region.box is not None:
        thumbnail = f"/v1/images/{region.image_id}/regions/{region.id}/thumbnail"
    elif region.region.time is not None:
        thumbnail = frame_link(region.image_id, region.region.time)
    return {**region.as_dict(), "thumbnail": thumbnail}


def video_facts(record: ImageRecord) -> dict[str, Any]:
    return {
        "media": "video" if record.is_video else "image",
        "duration": record.duration,
        "fps": record.fps,
        "codec": record.codec,
        "frame_count": record.frame_count,
    }


def image_out(
    record: ImageRecord,
    regions: list[RegionRecord] | None = None,
    text: list[TextLine] | None = None,
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
        links=links(record.id),
        **video_facts(record),
    )


def segment_out(video_id: int, segment: Segment) -> dict[str, Any]:
    return {**segment.as_dict(), "frame": frame_link(video_id, segment.best)}


def hit_out(hit: Hit) -> dict[str, Any]:
    """The library's hit fields (:func:`imgsearch.query.hits.hit_as_dict`, the same the
    command line prints) with this server's addresses."""
    fields = hit_as_dict(hit)
    if hit.region is not None:
        fields["region"] = region_out(hit.region)
    if hit.segment is not None:
        fields["segment"] = segment_out(hit.id, hit.segment)
    return {**fields, "links": links(hit.id)}
