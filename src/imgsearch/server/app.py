"""Building the FastAPI application: routes, errors, limits, CORS, start-up and shutdown."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imgsearch import __version__
from imgsearch.server import api, azure, errors
from imgsearch.server.auth import KeyCheck
from imgsearch.server.body import BodyTooLarge
from imgsearch.server.errors import ApiError, error_response
from imgsearch.server.service import Service
from imgsearch.server.settings import ServerSettings

log = logging.getLogger("imgsearch.server")
_SLASHES = re.compile(r"^/{2,}")


class _CollapseLeadingSlashes:
    """``//computervision/…`` (a base URL ending in ``/`` plus a path starting with one) → ``/…``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("//"):
            scope = dict(scope)
            scope["path"] = _SLASHES.sub("/", scope["path"])
            scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


class _LimitBody:
    """Bodies over ``max_bytes`` are refused, whether their length is declared or not.

    A declared length over the limit is answered before anything is read; a
    chunked body raises :class:`BodyTooLarge` from ``receive`` as soon as it
    passes the limit, so no route ever holds more. A plain ASGI middleware, not
    ``@app.middleware``: Starlette's ``BaseHTTPMiddleware`` costs every request a
    task and two memory streams.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            request = Request(scope)
            await _too_large_response(request, BodyTooLarge(self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


def _too_large_response(request: Request, error: BodyTooLarge) -> JSONResponse:
    """413 with our envelope; on the Azure routes, Azure's 400 for an oversized image."""
    if request.url.path.startswith(errors.AZURE_PREFIX):
        return error_response(request, azure.size_error())
    return error_response(request, ApiError(413, "PayloadTooLarge", str(error.detail)))


def create_app(
    settings: ServerSettings | None = None, *, service: Service | None = None
) -> FastAPI:
    settings = settings or ServerSettings()
    service = service or Service(settings)
    keys = KeyCheck(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "imgsearch %s serving %s with model %s",
            __version__,
            service.index.store.location,
            service.model_id,
        )
        yield
        service.close()

    app = FastAPI(
        title="imgsearch",
        version=__version__,
        description="Multi-modal image search: vectorize and search images by text, image or region. "
        'Errors are JSON `{"error": {"code", "message"}}`; the Azure AI Vision compatible routes '
        "use Azure's envelope.",
        lifespan=lifespan,
    )
    app.state.service = service
    errors.install(app)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, error: BodyTooLarge) -> JSONResponse:
        return _too_large_response(request, error)

    app.add_middleware(_LimitBody, max_bytes=settings.max_body_bytes)  # inside CORS
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    app.include_router(azure.router(service, keys))
    app.include_router(api.router(service, keys))

    @app.get(
        "/health", tags=["imgsearch"], summary="Liveness: the server answers and the index opened"
    )
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": service.model_id}

    app.add_middleware(_CollapseLeadingSlashes)
    return app
