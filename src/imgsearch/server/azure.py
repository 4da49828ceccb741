"""Endpoints wire-compatible with Azure AI Vision's multimodal embeddings (retrieval API).

``POST /computervision/retrieval:vectorizeImage`` and ``…:vectorizeText``
with the query parameters, bodies, limits, error envelope (``x-ms-error-code``
header) and key header of Azure's API, so client code written for Azure works
by changing only the endpoint. Vectors come from the served model, not from
Azure's Florence model, so they are not interchangeable with Azure's.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from numpy.typing import NDArray
from pydantic import BaseModel

from imgsearch.errors import ImageError, InvalidImageDimensions, InvalidText, PixelLimitExceeded
from imgsearch.server.auth import KeyCheck
from imgsearch.server.body import BodyTooLarge, media_type, parse_json, read_body
from imgsearch.server.errors import AzureError, azure_not_found
from imgsearch.server.fetch import FetchError
from imgsearch.server.service import Service
from imgsearch.server.settings import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_TEXT_CHARS,
    MAX_TEXT_WORDS,
    MIN_IMAGE_SIDE,
)

log = logging.getLogger("imgsearch.server")

API_VERSIONS = ("2023-02-01-preview", "2023-04-01-preview", "2024-02-01")
# Azure's own model versions, pinned by client code written for Azure: they name
# "the multimodal model", which here is the served one.
AZURE_MODEL_VERSIONS = ("2022-04-11", "2023-04-15")
SIZE_MESSAGE = f"The image size is not allowed to be zero or larger than {MAX_IMAGE_BYTES} bytes."
URL_MESSAGE = "Image URL is badly formatted or not accessible."


IMAGE_BODY = {
    "required": True,
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"url": {"type": "string"}},
                "required": ["url"],
            }
        },
    },
}
TEXT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
            }
        }
    },
}


class Vector(BaseModel):
    modelVersion: str  # noqa: N815 - Azure's field name
    vector: list[float]


class AzureErrorInner(BaseModel):
    code: str
    message: str


class AzureErrorBody(BaseModel):
    code: str
    message: str
    innererror: AzureErrorInner | None = None


class AzureErrorOut(BaseModel):
    """Azure AI Vision's error envelope (also in the ``x-ms-error-code`` header)."""

    error: AzureErrorBody


AZURE_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": AzureErrorOut, "description": "Bad image, text, URL or model version."},
    401: {"model": AzureErrorOut, "description": "Missing or wrong subscription key."},
    403: {"model": AzureErrorOut, "description": "A request from another site's page."},
    404: {"model": AzureErrorOut, "description": "Unknown api-version."},
    429: {"model": AzureErrorOut, "description": "Too many requests (or wrong keys)."},
}


def size_error() -> AzureError:
    return invalid("InvalidImageSize", SIZE_MESSAGE)


def invalid(inner: str, message: str) -> AzureError:
    """Azure's 400: ``InvalidRequest`` with ``inner`` saying what."""
    return AzureError(400, "InvalidRequest", message, inner_code=inner, inner_message=message)


def router(service: Service, keys: KeyCheck) -> APIRouter:
    api = APIRouter(
        prefix="/computervision",
        tags=["Azure AI Vision compatible"],
        dependencies=[Depends(keys.dependency())],
        responses=AZURE_ERRORS,
    )

    async def check_versions(
        api_version: str | None = Query(None, alias="api-version"),
        model_version_dashed: str | None = Query(None, alias="model-version"),
        model_version_camel: str | None = Query(None, alias="modelVersion"),
    ) -> None:
        """Both routes' query parameters: a dependency, checked before the body is read."""
        model_version = model_version_dashed or model_version_camel
        if api_version not in API_VERSIONS:
            raise azure_not_found()
        accepted = ("latest", service.model_id, *AZURE_MODEL_VERSIONS)
        if model_version is not None and model_version not in accepted:
            raise invalid(
                "InvalidModelVersion",
                f"The model version {model_version!r} is not served here; use 'latest' or {service.model_id!r}.",
            )

    @api.post(
        "/retrieval:vectorizeImage",
        response_model=Vector,
        summary="Vectorize an image (Azure-compatible)",
        dependencies=[Depends(check_versions)],
        openapi_extra={"requestBody": IMAGE_BODY},
    )
    async def vectorize_image(
        request: Request,
    ) -> dict[str, Any]:
        """Body: raw image bytes (`application/octet-stream`), a multipart upload, or JSON `{"url": …}`."""
        data = await image_bytes(request, service)
        if not data or len(data) > MAX_IMAGE_BYTES:
            raise invalid("InvalidImageSize", SIZE_MESSAGE)
        vector = await embedded(service, data)
        return {"modelVersion": service.model_id, "vector": vector[0].tolist()}

    @api.post(
        "/retrieval:vectorizeText",
        response_model=Vector,
        summary="Vectorize a text (Azure-compatible)",
        dependencies=[Depends(check_versions)],
        openapi_extra={"requestBody": TEXT_BODY},
    )
    async def vectorize_text(
        request: Request,
    ) -> dict[str, Any]:
        """Body: JSON `{"text": "…"}`, at most 70 words."""
        if not service.encoder.supports_text:
            raise invalid(
                "TextNotSupported",
                f"The served model {service.model_id} embeds images only; use vectorizeImage.",
            )
        if media_type(request) != "application/json":
            raise invalid(
                "InvalidContentType",
                'The content type must be application/json with a body {"text": ...}.',
            )
        try:
            body = parse_json(await read_body(request, 64 * 1024))
        except BodyTooLarge:
            raise invalid("InvalidArgument", "The request body is too large.") from None
        except Exception:
            raise invalid("InvalidArgument", "The body is not valid JSON.") from None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise invalid("EmptyText", 'The text is missing or empty: send {"text": "..."}.')
        if len(text) > MAX_TEXT_CHARS:
            raise invalid(
                "TextTooLong",
                f"The text has {len(text)} characters; at most {MAX_TEXT_CHARS} are allowed.",
            )
        words = len(text.split())
        if words > MAX_TEXT_WORDS:
            raise invalid(
                "TextTooLong", f"The text has {words} words; at most {MAX_TEXT_WORDS} are allowed."
            )
        try:
            vector = await service.embed_texts_async([text])
        except InvalidText as error:
            raise invalid("InvalidArgument", error.message) from None
        return {"modelVersion": service.model_id, "vector": vector[0].tolist()}

    return api


async def embedded(service: Service, data: bytes) -> NDArray[np.float32]:
    """The vector of an uploaded image, ``(1, dim)``: the same decode, limits and verdicts
    as every other route, in Azure's words."""
    try:
        vector: NDArray[np.float32] = await run_in_threadpool(service.embed_images, [data])
    except (InvalidImageDimensions, PixelLimitExceeded) as error:
        raise invalid(
            "InvalidImageDimension",
            f"The input image dimensions are out of range ({error.reason}). The image must be "
            f"at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} and at most {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} pixels.",
        ) from None
    except ImageError as error:
        raise invalid(
            "InvalidImageFormat", f"Input data is not a valid image: {error.reason}"
        ) from None
    return vector


async def image_bytes(request: Request, service: Service) -> bytes:
    kind = media_type(request)
    if kind == "application/json":
        try:
            body = parse_json(await read_body(request, 64 * 1024))
        except Exception:
            raise invalid("InvalidImageUrl", URL_MESSAGE) from None
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url:
            raise invalid("InvalidImageUrl", URL_MESSAGE)
        try:
            return await service.fetch(url)
        except FetchError as error:
            log.info("image URL not fetched: %s", error.reason)
            if "larger than" in error.reason or "bytes, more than" in error.reason:
                raise invalid("InvalidImageSize", SIZE_MESSAGE) from None
            raise invalid("InvalidImageUrl", URL_MESSAGE) from None
    if kind == "application/octet-stream" or kind.startswith("image/"):
        try:
            return await read_body(request, MAX_IMAGE_BYTES)
        except BodyTooLarge:
            raise invalid("InvalidImageSize", SIZE_MESSAGE) from None
    if kind == "multipart/form-data":
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_IMAGE_BYTES + 64 * 1024:
            raise invalid("InvalidImageSize", SIZE_MESSAGE)
        form = await request.form(max_files=1, max_fields=10)
        upload = next((v for v in form.values() if not isinstance(v, str)), None)
        if upload is None:
            raise invalid("InvalidRequest", "The multipart body holds no file.")
        data: bytes = await upload.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise invalid("InvalidImageSize", SIZE_MESSAGE)
        return data
    raise invalid(
        "InvalidContentType",
        f"Unsupported content type {kind or '(none)'!r}: send application/octet-stream, multipart/form-data or application/json.",
    )
