"""imgsearch's own HTTP API under ``/v1``, described by the generated OpenAPI schema."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi import Query as QueryParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse

from imgsearch.models.catalog import catalog
from imgsearch.search import Query, QueryPart
from imgsearch.server import files
from imgsearch.server.auth import KeyCheck
from imgsearch.server.errors import ApiError, error_responses
from imgsearch.server.fetch import FetchError
from imgsearch.server.schemas import (
    MAX_ID,
    FiltersIn,
    ImageIn,
    ImageOut,
    Links,
    SearchIn,
    SearchOut,
    VectorizeIn,
    VectorizeOut,
)
from imgsearch.server.service import ImageInput, Service
from imgsearch.store import Filters, ImageRecord
from imgsearch.types import Box

log = logging.getLogger("imgsearch.server")

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
}
ImageId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="An indexed image's id.")]
THUMBNAIL_MAX_AGE = 86_400  # then revalidated with the ETag: an id's file can change


def _links(image_id: int) -> Links:
    base = f"/v1/images/{image_id}"
    return Links(self=base, file=f"{base}/file", thumbnail=f"{base}/thumbnail")


def _image_out(record: ImageRecord) -> ImageOut:
    return ImageOut(
        id=record.id,
        path=record.path,
        size=record.size,
        width=record.width,
        height=record.height,
        format=record.format,
        taken=record.sort_time,
        camera=record.camera,
        caption=record.caption,
        tags=list(record.tags),
        links=_links(record.id),
    )


def _seconds(day: dt.date | None) -> float | None:
    """Local midnight of ``day`` in POSIX seconds (UTC midnight where the platform cannot
    place the year in its time zones, e.g. 0001-01-01)."""
    if day is None:
        return None
    try:
        return dt.datetime(day.year, day.month, day.day).timestamp()
    except (OverflowError, OSError, ValueError):
        return float((day - dt.date(1970, 1, 1)).days * 86_400)


def _one_source(item: ImageIn) -> None:
    given = [item.image_id is not None, item.image_url is not None, item.image_base64 is not None]
    if sum(given) != 1:
        raise ApiError(
            400, "InvalidQuery", "an image is exactly one of image_id, image_url, image_base64"
        )


def router(service: Service, keys: KeyCheck) -> APIRouter:
    api = APIRouter(
        prefix="/v1",
        tags=["imgsearch"],
        dependencies=[Depends(keys.dependency())],
        responses=error_responses(400, 401, 403, 429),
    )

    async def fetched(url: str) -> bytes:
        try:
            return await service.fetch(url)
        except FetchError as error:
            log.info("image URL not fetched: %s", error.reason)  # the detail stays here
            raise ApiError(
                400,
                "InvalidImageUrl",
                "the image URL is not accessible: it must be a public http(s) address of an "
                "image of at most 20 MB",
            ) from None

    async def fetch_all(items: Sequence[ImageIn]) -> dict[str, bytes]:
        """The images of ``items`` given by URL, fetched concurrently (once each)."""
        for item in items:
            _one_source(item)
        urls = list(dict.fromkeys(i.image_url for i in items if i.image_url is not None))
        return dict(zip(urls, await asyncio.gather(*(fetched(u) for u in urls)), strict=True))

    def image_part(item: ImageIn, downloads: dict[str, bytes], weight: float = 1.0) -> QueryPart:
        _one_source(item)
        box = Box(**item.box.model_dump()) if item.box else None
        if item.image_id is not None:
            return QueryPart(image_id=item.image_id, box=box, weight=weight)
        if item.image_url is not None:
            return QueryPart(image_data=downloads[item.image_url], box=box, weight=weight)
        try:
            data = base64.b64decode(item.image_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "InvalidImage", "image_base64 is not valid base64") from None
        if not data:
            raise ApiError(400, "InvalidImage", "the image is empty")
        return QueryPart(image_data=data, box=box, weight=weight)

    def parts_of(body: SearchIn, downloads: dict[str, bytes]) -> list[QueryPart]:
        parts = [QueryPart(text=body.text)] if body.text is not None else []
        for part in body.parts:
            if part.text is not None:
                if part.image_id is not None or part.image_url or part.image_base64 or part.box:
                    raise ApiError(
                        400, "InvalidQuery", "a part is either a text or an image, not both"
                    )
                parts.append(QueryPart(text=part.text, weight=part.weight))
            else:
                parts.append(image_part(part, downloads, part.weight))
        parts += [QueryPart(text=text, weight=-1.0) for text in body.not_]
        return parts

    @api.post(
        "/search",
        response_model=SearchOut,
        summary="Search by text, image, region, or a mix",
        responses=error_responses(400, 404, 413, 422),
    )
    async def search(body: SearchIn) -> dict[str, Any]:
        f = body.filters or FiltersIn()
        filters = Filters(
            under=tuple(f.under),
            after=_seconds(f.after),
            before=_seconds(f.before),
            formats=tuple(x.upper() for x in f.formats),
            min_width=f.min_width,
            min_height=f.min_height,
        )
        options: dict[str, Any] = {"top": body.top, "offset": body.offset, "filters": filters}
        if body.metadata_weight is not None:
            options["metadata_weight"] = body.metadata_weight
        image_parts = [part for part in body.parts if part.text is None]
        downloads = await fetch_all(image_parts)
        # Texts are ready at once; base64 images take a decode: a thread's job.
        if image_parts:
            parts = await run_in_threadpool(parts_of, body, downloads)
        else:
            parts = parts_of(body, downloads)
        hits = await service.search(Query(tuple(parts), **options))
        return {
            "model": service.model_id,
            "hits": [
                {
                    "rank": h.rank,
                    "id": h.id,
                    "relevance": h.relevance,
                    "cosine": h.cosine,
                    "metadata_score": h.metadata_score,
                    "path": h.image.path,
                    "width": h.image.width,
                    "height": h.image.height,
                    "taken": h.image.sort_time,
                    "links": _links(h.id),
                }
                for h in hits
            ],
        }

    def image_vectors(items: list[ImageIn], downloads: dict[str, bytes]) -> list[list[float]]:
        vectors: list[list[float]] = [[] for _ in items]
        to_embed: list[tuple[int, ImageInput, Box | None]] = []
        for slot, item in enumerate(items):
            part = image_part(item, downloads)
            if part.image_id is not None:
                record = service.get(part.image_id)
                if part.box is None:
                    vectors[slot] = service.index.store.vectors([record.id])[0].tolist()
                    continue
                to_embed.append((slot, record, part.box))
            else:
                assert part.image_data is not None
                to_embed.append((slot, part.image_data, part.box))
        if to_embed:
            embedded = service.embed_images(
                [i for _, i, _ in to_embed], [b for _, _, b in to_embed]
            )
            for (slot, _, _), vector in zip(to_embed, embedded, strict=True):
                vectors[slot] = vector.tolist()
        return vectors

    @api.post(
        "/vectorize",
        response_model=VectorizeOut,
        summary="Vectors for many texts and images at once",
        responses=error_responses(400, 404, 413, 422),
    )
    async def vectorize(body: VectorizeIn) -> dict[str, Any]:
        texts = (await service.embed_texts_async(body.texts)).tolist() if body.texts else []
        downloads = await fetch_all(body.images)
        images = await run_in_threadpool(image_vectors, body.images, downloads)
        return {
            "model": service.model_id,
            "dim": service.encoder.dim,
            "texts": texts,
            "images": images,
        }

    @api.get(
        "/images/{image_id}",
        response_model=ImageOut,
        summary="An indexed image's metadata",
        responses=error_responses(404, 422),
    )
    def image(image_id: ImageId) -> ImageOut:
        return _image_out(service.get(image_id))

    @api.get(
        "/images/{image_id}/file",
        summary="The image file itself",
        response_class=StreamingResponse,
        responses={200: {"content": {"image/*": {}}}, **error_responses(404, 422)},
    )
    def image_file(image_id: ImageId) -> StreamingResponse:
        record = service.get(image_id)
        stream = service.open_file(record)
        return StreamingResponse(
            files.chunks(stream),
            media_type=MIME.get(record.format or "", "application/octet-stream"),
            headers={
                "Content-Length": str(record.size),
                "Cache-Control": "private, max-age=3600",
                "ETag": f'"{record.digest}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @api.get(
        "/images/{image_id}/thumbnail",
        summary="A JPEG thumbnail (made once, then cached)",
        response_class=FileResponse,
        responses={200: {"content": {"image/jpeg": {}}}, **error_responses(400, 404, 422)},
    )
    def thumbnail(
        request: Request,
        image_id: ImageId,
        size: int = QueryParam(
            256,
            ge=16,
            le=files.THUMBNAIL_SIZES[-1],
            description=f"Longest side wanted; answered with the next of {files.THUMBNAIL_SIZES}.",
        ),
    ) -> Response:
        record = service.get(image_id)
        served = files.thumbnail_size(size)
        etag = f'"{record.digest[:32]}-{served}"'
        scope = "private" if service.settings.auth_enabled else "public"
        headers = {"ETag": etag, "Cache-Control": f"{scope}, max-age={THUMBNAIL_MAX_AGE}"}
        path = service.thumbnail(record, served)  # also: is the file still the indexed one?
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type="image/jpeg", headers=headers)

    @api.post(
        "/index",
        status_code=202,
        summary="Start bringing the configured folders in step",
        responses=error_responses(400, 409),
    )
    def start_index() -> dict[str, Any]:
        if not service.settings.roots:
            raise ApiError(
                400, "NoRoots", "no folders are configured to index (IMGSEARCH_ROOTS or --root)"
            )
        if not service.start_index_run():
            raise ApiError(
                409, "IndexRunning", "an index run is already in progress; see GET /v1/index"
            )
        return service.job.as_dict()

    @api.get("/index", summary="Progress of the background index run")
    def index_progress() -> dict[str, Any]:
        return service.job.as_dict()

    @api.get("/status", summary="Counts, model, size and last run of the index")
    def status() -> dict[str, Any]:
        return service.status()

    @api.get("/models", summary="The model served and the models imgsearch knows")
    def models() -> dict[str, Any]:
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

    return api
