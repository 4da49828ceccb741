"""The parts of many-part items under ``/v1``, as JPEGs: a video's frame at a moment, a
PDF's page (what their hits show; the file itself, with byte ranges for seeking, is
``/v1/images/{id}/file``). Each route checks the item is of its kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi import Query as QueryParam

from imgsearch.server import files
from imgsearch.server.api import ImageId, ServiceDep, ThumbnailSize, jpeg_response
from imgsearch.server.errors import error_responses

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

MAX_SECONDS = 12 * 3600.0
MAX_PAGE = 1_000_000


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
    jpeg, key = service.pictures.part(record, "video", t, files.thumbnail_size(size))
    return jpeg_response(request, service, jpeg, key)


@router.get(
    "/pdfs/{pdf_id}/page/{page}",
    summary="A JPEG of a PDF's page (pages the index holds are cached)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(404, 422, 501)},
)
def pdf_page(
    request: Request,
    pdf_id: ImageId,
    page: Annotated[int, Path(ge=1, le=MAX_PAGE, description="The page's number, from 1.")],
    service: ServiceDep,
    size: ThumbnailSize = 256,
) -> Response:
    record = service.get(pdf_id)
    jpeg, key = service.pictures.part(record, "pdf", page, files.thumbnail_size(size))
    return jpeg_response(request, service, jpeg, key)
