"""imgsearch's own HTTP API under ``/v1``, described by the generated OpenAPI schema.

Handlers are module-level functions that receive the app's :class:`Service` as a
dependency; turning request bodies into queries is :mod:`imgsearch.server.requests`'
job, serving files :mod:`imgsearch.server.files`'.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from imgsearch.models.catalog import catalog
from imgsearch.query.hits import judgement_as_dict
from imgsearch.server import files
from imgsearch.server.errors import ApiError, error_responses
from imgsearch.server.outputs import MIME, hit_out, image_out
from imgsearch.server.requests import fetch_all, image_vectors, query_of, with_expression
from imgsearch.server.schemas import (
    MAX_ID,
    AnnotationIn,
    ImageOut,
    SearchIn,
    SearchOut,
    VectorizeIn,
    VectorizeOut,
)
from imgsearch.server.service import Service

ImageId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="An indexed image's id.")]
THUMBNAIL_MAX_AGE = 86_400  # then revalidated with the ETag: an id's file can change


def _service(request: Request) -> Service:
    """The app's :class:`Service` (set by :func:`~imgsearch.server.app.create_app`)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""


@router.post(
    "/search",
    response_model=SearchOut,
    summary="Search by text, image, region, or a mix",
    responses=error_responses(400, 404, 413, 422),
)
async def search(body: SearchIn, service: ServiceDep) -> dict[str, Any]:
    body, terms = with_expression(body)
    image_parts = [part for part in body.parts if part.text is None and part.region_id is None]
    downloads = await fetch_all(service, image_parts)
    # Texts are ready at once; base64 images take a decode: a thread's job.
    if image_parts:
        query = await run_in_threadpool(query_of, body, downloads)
    else:
        query = query_of(body, downloads)
    hits = await service.search(query)
    words = hits.vocabulary
    # a still picture's tile shows its thumbnail (an object search's, its box's crop)
    shown = [] if query.objects else [hit.image for hit in hits if hit.image.kind == "image"]
    inline = await service.previews(shown, body.previews) if body.previews and shown else {}
    return {
        "model": service.model_id,
        "hits": [hit_out(h, inline.get(h.id)) for h in hits],
        "confidence": judgement_as_dict(hits.judgement),
        "expression": [{"term": t.term, "weight": t.weight, "image": t.image} for t in terms],
        "readable": words.readable,
        "unknown_words": list(words.unknown),
        "known_words": list(words.known),
    }


@router.post(
    "/vectorize",
    response_model=VectorizeOut,
    summary="Vectors for many texts and images at once",
    responses=error_responses(400, 404, 413, 422),
)
async def vectorize(body: VectorizeIn, service: ServiceDep) -> dict[str, Any]:
    texts = (await service.embed_texts_async(body.texts)).tolist() if body.texts else []
    downloads = await fetch_all(service, body.images)
    images = await run_in_threadpool(image_vectors, service, body.images, downloads)
    return {
        "model": service.model_id,
        "dim": service.encoder.dim,
        "texts": texts,
        "images": images,
    }


@router.get(
    "/images/{image_id}",
    response_model=ImageOut,
    summary="An indexed image's metadata",
    responses=error_responses(404, 422),
)
def image(image_id: ImageId, service: ServiceDep) -> ImageOut:
    record = service.get(image_id)
    return image_out(
        record,
        service.index.regions(record),
        service.index.text_lines(record.id),
        auto_tags=service.index.auto_tags([record.id]).get(record.id),
    )


@router.put(
    "/images/{image_id}/annotation",
    response_model=ImageOut,
    summary="Set an image's caption and tags (what `imgsearch annotate` does)",
    responses=error_responses(404, 413, 422),
)
def annotate(image_id: ImageId, body: AnnotationIn, service: ServiceDep) -> ImageOut:
    caption = body.caption.strip() if body.caption else None
    tags = list(dict.fromkeys(body.tags))  # the same tag twice is one tag
    record = service.annotate(image_id, caption=caption or None, tags=tags)
    return image_out(record, auto_tags=service.index.auto_tags([record.id]).get(record.id))


@router.get(
    "/images/{image_id}/file",
    summary="The image or video file itself (byte ranges too)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"image/*": {}, "video/*": {}}},
        206: {"description": "The byte range asked for."},
        **error_responses(404, 416, 422),
    },
)
def image_file(request: Request, image_id: ImageId, service: ServiceDep) -> StreamingResponse:
    """The whole file, or the byte range a ``Range`` header asks for (206): a browser's
    video player seeks this way."""
    record = service.get(image_id)
    try:
        wanted = files.byte_range(request.headers.get("range"), record.size)
    except files.RangeNotSatisfiable as exc:
        raise ApiError(
            416, "RangeNotSatisfiable", str(exc), headers={"Content-Range": f"bytes */{exc.size}"}
        ) from None
    stream = service.open_file(record)
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=3600",
        "ETag": f'"{record.digest}"',
        "X-Content-Type-Options": "nosniff",
    }
    media = MIME.get(record.format or "", "application/octet-stream")
    if wanted is None:
        headers["Content-Length"] = str(record.size)
        return StreamingResponse(files.chunks(stream), media_type=media, headers=headers)
    start, end = wanted
    stream.seek(start)
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{record.size}"
    return StreamingResponse(
        files.chunks(stream, end - start + 1), status_code=206, media_type=media, headers=headers
    )


ThumbnailSize = Annotated[
    int,
    QueryParam(
        ge=16,
        le=files.THUMBNAIL_SIZES[-1],
        description=f"Longest side wanted; answered with the next of {files.THUMBNAIL_SIZES}.",
    ),
]


def jpeg_response(request: Request, service: Service, jpeg: bytes, key: str) -> Response:
    """A cached JPEG with its ETag (``key``), or 304 when the client holds that one;
    public unless API keys guard the server."""
    etag = f'"{key}"'
    scope = "private" if service.settings.auth_enabled else "public"
    headers = {"ETag": etag, "Cache-Control": f"{scope}, max-age={THUMBNAIL_MAX_AGE}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get(
    "/images/{image_id}/thumbnail",
    summary="A JPEG thumbnail (made once, then cached)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(400, 404, 422)},
)
def thumbnail(
    request: Request, image_id: ImageId, service: ServiceDep, size: ThumbnailSize = 256
) -> Response:
    record = service.get(image_id)
    served = files.thumbnail_size(size)
    jpeg = service.pictures.thumbnail(record, served)  # also: is the file still the indexed one?
    return jpeg_response(request, service, jpeg, f"{record.digest[:32]}-{served}")


@router.post(
    "/index",
    status_code=202,
    summary="Start bringing the configured folders in step",
    responses=error_responses(400, 409),
)
def start_index(service: ServiceDep) -> dict[str, Any]:
    if not service.settings.roots:
        raise ApiError(
            400, "NoRoots", "no folders are configured to index (IMGSEARCH_ROOTS or --root)"
        )
    if service.index.running_elsewhere():  # another process's run (the CLI's)
        raise ApiError(
            409, "IndexRunning", "an index run started elsewhere (imgsearch index) is writing "
            "to the index; try again when it ends",
        )  # fmt: skip
    if not service.start_index_run():
        raise ApiError(
            409, "IndexRunning", "a background job is already in progress; see GET /v1/index"
        )
    return service.job.as_dict()


@router.get(
    "/index", summary="Progress of the background job (an index run or an annotation import)"
)
def index_progress(service: ServiceDep) -> dict[str, Any]:
    return service.job.as_dict()


@router.get(
    "/folders",
    summary="Indexed folders that start with what was typed (for a folder filter)",
    responses=error_responses(422),
)
def folders(
    service: ServiceDep,
    prefix: str = QueryParam(
        "",
        max_length=4096,
        description="An absolute folder path as typed so far; empty: the indexed roots.",
    ),
    limit: int = QueryParam(20, ge=1, le=100),
) -> dict[str, list[str]]:
    if not prefix:
        return {"folders": [f"{root.as_posix().rstrip('/')}/" for root in service.roots()][:limit]}
    return {"folders": service.index.folders(prefix, limit)}


@router.get(
    "/failures",
    summary="Files that could not be indexed, and why (by path, a page at a time)",
    responses=error_responses(422),
)
def failures(
    service: ServiceDep,
    limit: int = QueryParam(100, ge=1, le=1000),
    offset: int = QueryParam(0, ge=0, le=2**31),
) -> dict[str, Any]:
    total, page = service.failures(limit, offset)
    return {
        "total": total,
        "failures": [
            {"path": f.path, "code": f.code, "message": f.message, "seen_at": f.seen_at}
            for f in page
        ],
    }


@router.get("/status", summary="Counts, model, size and last run of the index")
def status(service: ServiceDep) -> dict[str, Any]:
    return service.status()


@router.get("/models", summary="The model served and the models imgsearch knows")
def models(service: ServiceDep) -> dict[str, Any]:
    return {
        "serving": {"model": service.model_id, "dim": service.encoder.dim},
        "catalog": [
            {
                "name": s.name,
                "dim": s.dim,
                "image_size": s.image_size,
                "source": s.source,
                "notes": s.notes,
            }
            for s in catalog()
        ],
    }
