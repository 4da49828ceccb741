"""The object-level part of the HTTP API under ``/v1``: crops of regions, importing
annotations, and the boxes whose labels the model doubts (see the README's regions
section; searching by and for regions is ``/v1/search``'s)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi import Query as QueryParam

from imgsearch.regions.annotations import DEFAULT_PADDING
from imgsearch.regions.label_suspects import DEFAULT_PROMPT
from imgsearch.server import files
from imgsearch.server.api import ImageId, ServiceDep, ThumbnailSize, jpeg_response
from imgsearch.server.body import media_type, parse_json, read_body
from imgsearch.server.errors import ApiError, error_responses
from imgsearch.server.schemas import MAX_ID

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

ANNOTATION_TYPES = {
    "application/json": ".json",  # COCO
    "application/xml": ".xml",  # Pascal VOC
    "text/xml": ".xml",
}


@router.get(
    "/images/{image_id}/regions/{region_id}/thumbnail",
    summary="A JPEG of one region (object) of an image: its box with some context",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(400, 404, 422)},
)
def region_thumbnail(
    request: Request,
    image_id: ImageId,
    region_id: Annotated[int, PathParam(ge=1, le=MAX_ID, description="A region's id.")],
    service: ServiceDep,
    size: ThumbnailSize = 256,
) -> Response:
    record = service.get(image_id)
    jpeg, key = service.pictures.region_thumbnail(record, region_id, files.thumbnail_size(size))
    return jpeg_response(request, service, jpeg, key)


@router.post(
    "/annotations",
    status_code=202,
    summary="Import boxes and labels (a COCO JSON or Pascal VOC XML file) as regions",
    responses=error_responses(400, 409, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "description": "A COCO document."}
                },
                "application/xml": {"schema": {"type": "string"}},
                "text/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_annotations(
    request: Request,
    service: ServiceDep,
    padding: float = QueryParam(
        DEFAULT_PADDING, ge=0, le=10, description="Context around each box, as a share of its size."
    ),
) -> dict[str, Any]:
    """The file itself is the body (up to the server's ``max_body_bytes``); its images are
    matched by path under the served folders, as ``imgsearch index --annotations`` does.
    The import runs in the background: follow it with ``GET /v1/index`` (its report,
    with every entry that could not be imported, is the job's ``annotations``)."""
    suffix = ANNOTATION_TYPES.get(media_type(request))
    if suffix is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "send a COCO file as application/json or a Pascal VOC file as application/xml",
        )
    if not service.roots():
        raise ApiError(
            400, "NoRoots", "no folders are served to match the annotations' images against"
        )
    document = await read_body(request, service.settings.max_body_bytes)
    if not document.strip():
        raise ApiError(400, "InvalidRequest", "the body is empty: send the annotations file")
    if suffix == ".json" and not isinstance(parse_json(document), dict):
        raise ApiError(400, "InvalidRequest", "a COCO file is a JSON object")
    if not service.start_import(document, suffix, padding):
        raise ApiError(
            409, "IndexRunning", "a background job is already in progress; see GET /v1/index"
        )
    return service.job.as_dict()


@router.get(
    "/labels/suspects",
    summary="Annotated boxes whose label the model disagrees with, likeliest mistakes first",
    responses=error_responses(400, 422),
)
def label_suspects(
    service: ServiceDep,
    limit: int = QueryParam(100, ge=1, le=10_000),
    prompt: str = QueryParam(DEFAULT_PROMPT, min_length=2, max_length=200),
    source: Literal["annotation", "detector", "grid", "any"] = QueryParam("annotation"),
) -> dict[str, Any]:
    report = service.label_suspects(limit, prompt, None if source == "any" else source)
    return {
        "labels": report.labels,
        "checked": report.checked,
        "disagreeing": report.disagreeing,
        "suspects": [s.as_dict() for s in report.suspects],
    }
