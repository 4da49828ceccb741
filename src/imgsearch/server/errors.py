"""Error bodies: Azure's envelope on the Azure routes, ``{"error": {code, message}}`` on ours.

Every user mistake becomes a 4xx with a code and a message. Anything else is a
genuine fault: logged with a request id and answered 500 with that id, so an
operator can find the traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from imgsearch.errors import (
    EmptyQuery,
    ImgsearchError,
    InputError,
    ModelError,
    NotIndexed,
    PixelLimitExceeded,
    StoreError,
    TextNotSupported,
)
from imgsearch.server.web import SECURITY_HEADERS

log = logging.getLogger("imgsearch.server")

AZURE_PREFIX = "/computervision/"


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every /v1 error: a stable ``code`` and a human ``message``."""

    error: ErrorBody


_MEANINGS = {
    400: "The request cannot be used: a bad image, box, query, URL or text.",
    401: "An API key is required (Ocp-Apim-Subscription-Key or Authorization: Bearer).",
    403: "A request from another site's page (Origin not allowed).",
    404: "No such image, or its file is no longer available.",
    408: "The request body did not arrive in time.",
    409: "A background job (an index run or an annotation import) is already in progress.",
    413: "The request body is larger than the server accepts.",
    415: "The body's media type is not one this route reads.",
    416: "The byte range asked for lies outside the file.",
    422: "The body or a parameter does not match the schema.",
    429: "Too many requests (or wrong keys); see Retry-After.",
    501: "This server lacks an optional part the request needs (e.g. video support).",
    503: "The model or the index cannot be used right now.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, with the error body's schema."""
    return {status: {"model": ErrorOut, "description": _MEANINGS[status]} for status in statuses}


class ApiError(Exception):
    """An error answered as JSON: ``status``, a stable ``code`` and a human ``message``."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class AzureError(ApiError):
    """Azure AI Vision's error: ``{"error": {code, message, innererror: {code, message}}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        inner_code: str | None = None,
        inner_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, headers=headers)
        self.inner_code = inner_code
        self.inner_message = inner_message or message


def azure_not_found() -> AzureError:
    """What Azure answers for an unknown route or api-version (no innererror)."""
    return AzureError(404, "404", "Resource not found")


def _is_azure(request: Request) -> bool:
    return request.url.path.startswith(AZURE_PREFIX)


def error_response(request: Request, error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    headers = dict(error.headers)
    if isinstance(error, AzureError) or _is_azure(request):
        inner = getattr(error, "inner_code", None)
        if inner:
            body["innererror"] = {
                "code": inner,
                "message": getattr(error, "inner_message", error.message),
            }
        headers.setdefault("x-ms-error-code", error.code)
    return JSONResponse({"error": body}, status_code=error.status, headers=headers)


def api_hint(error: ImgsearchError) -> str:
    """The error's hint in this API's words (JSON fields, not CLI flags or settings a web
    client cannot change); the one place that knows both."""
    if isinstance(error, EmptyQuery):
        return 'give "text", or "parts" holding a text or an image'
    if isinstance(error, TextNotSupported):
        return "search with parts holding an image: image_id, image_url or image_base64"
    if isinstance(error, PixelLimitExceeded):
        return "send a smaller image"
    return error.hint


def from_library(error: ImgsearchError) -> ApiError:
    """Map the library's typed errors onto HTTP."""
    hint = api_hint(error)
    message = error.message + (f" ({hint})" if hint else "")
    if isinstance(error, NotIndexed):
        return ApiError(404, "NotFound", message)
    if isinstance(error, EmptyQuery):  # its code predates the class: clients rely on it
        return ApiError(400, "InvalidQuery", message)
    if isinstance(error, InputError):
        return ApiError(400, type(error).__name__, message)
    if isinstance(error, ModelError | StoreError):
        return ApiError(503, type(error).__name__, message)
    return ApiError(500, "InternalError", message)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the schema documents for the request's path (routes of one path may
    be separate, e.g. GET and POST /v1/index)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, error: ApiError) -> JSONResponse:
        return error_response(request, error)

    @app.exception_handler(ImgsearchError)
    async def _library(request: Request, error: ImgsearchError) -> JSONResponse:
        answer = from_library(error)
        service = getattr(request.app.state, "service", None)
        if service is not None:  # where the index lives is the server's business
            answer.message = answer.message.replace(service.index.location, "the index")
        return error_response(request, answer)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
            for e in error.errors()
        )
        code = "InvalidRequest"
        return error_response(
            request,
            ApiError(422 if not _is_azure(request) else 400, code, problems or "invalid request"),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if _is_azure(request) and error.status_code == 404:
            return error_response(request, azure_not_found())
        codes = {
            400: "InvalidRequest",  # FastAPI's own: a body it could not parse
            404: "NotFound",
            405: "MethodNotAllowed",
            408: "RequestTimeout",
            413: "PayloadTooLarge",
        }
        code = codes.get(error.status_code, f"Http{error.status_code}")
        headers = dict(error.headers or {})
        if error.status_code == 405:  # every method of the path, not only of one route
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(
            request, ApiError(error.status_code, code, str(error.detail), headers=headers)
        )

    @app.exception_handler(Exception)
    async def _fault(request: Request, error: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:16]
        log.exception(
            "request %s %s failed (request id %s)", request.method, request.url.path, request_id
        )
        return error_response(
            request,
            ApiError(
                500,
                "InternalError",
                f"internal server error (request id {request_id})",
                # answered outside every middleware: the security headers are added here
                headers={"x-request-id": request_id, **SECURITY_HEADERS},
            ),
        )
