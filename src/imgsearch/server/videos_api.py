"""The video part of the HTTP API under ``/v1``: a frame of a video at a moment, as a
JPEG (what a video hit shows; the file itself, with byte ranges for seeking, is
``/v1/images/{id}/file``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi import Query as QueryParam

from imgsearch.server import files
from imgsearch.server.api import ImageId, ServiceDep, ThumbnailSize, jpeg_response
from imgsearch.server.errors import error_responses

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

MAX_SECONDS = 12 * 3600.0


@router.get(
    "/videos/{video_id}/frame",
    summary="A JPEG of a video's frame at a moment (kept frames are cached)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(404, 422, 501)},
)
def video_frame(
    request: Request,
    video_id: ImageId,
    service: ServiceDep,
    t: float = QueryParam(
        0.0, ge=0, le=MAX_SECONDS, description="Seconds from the start (past the end: the last)."
    ),
    size: ThumbnailSize = 256,
) -> Response:
    record = service.get(video_id)
    jpeg, key = service.pictures.video_frame(record, t, files.thumbnail_size(size))
    return jpeg_response(request, service, jpeg, key)
