"""Building the FastAPI application: routes, errors, limits, CORS, start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from imgsearch.media.memory import limit_heaps, return_large_buffers, trim_free_memory
from imgsearch.media.quiet import quiet_decoders
from imgsearch.server import (
    api,
    api_docs,
    azure,
    azure_analyze,
    browse_api,
    duplicates_api,
    errors,
    objects_api,
    parts_api,
    selection_api,
    web,
)
from imgsearch.server.auth import KeyCheck
from imgsearch.server.body import BodyTooLarge
from imgsearch.server.errors import ApiError, error_response
from imgsearch.server.guards import BodyTimeout, LimitBody, SameOriginWrites, TrustedHosts
from imgsearch.server.service import Service
from imgsearch.server.settings import LOOPBACK_NAMES, ServerSettings

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


def _too_large_response(request: Request, error: BodyTooLarge) -> JSONResponse:
    """413 with our envelope; on the Azure routes, Azure's 400 for an oversized image."""
    if request.url.path.startswith(errors.AZURE_PREFIX):
        return error_response(request, azure.size_error())
    return error_response(request, ApiError(413, "PayloadTooLarge", str(error.detail)))


def create_app(
    settings: ServerSettings | None = None, *, service: Service | None = None
) -> FastAPI:
    settings = settings or ServerSettings()
    quiet_decoders()
    return_large_buffers()
    limit_heaps(settings.memory_heaps)
    service = service or Service(settings)
    keys = KeyCheck(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "imgsearch %s serving %s with model %s",
            version("imgsearch"),
            service.index.location,
            service.model_id,
        )
        if settings.keyless_warning:
            log.warning("%s", settings.keyless_warning)
        trimming = None
        if settings.memory_trim_seconds > 0:
            trimming = asyncio.create_task(_trim_every(settings.memory_trim_seconds))
        yield
        if trimming is not None:
            trimming.cancel()
        service.close()

    app = FastAPI(
        title="imgsearch",
        version=version("imgsearch"),
        description="Multi-modal image search: vectorize and search images by text, image or region. "
        'Errors are JSON `{"error": {"code", "message"}}`; the Azure AI Vision compatible routes '
        "use Azure's envelope.",
        lifespan=lifespan,
        # FastAPI's Swagger UI and ReDoc load their scripts from a CDN: /docs is ours,
        # served from a package (imgsearch.server.api_docs); the schema is /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    errors.install(app)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, error: BodyTooLarge) -> JSONResponse:
        return _too_large_response(request, error)

    @app.exception_handler(BodyTimeout)
    async def _too_slow(request: Request, error: BodyTimeout) -> JSONResponse:
        return error_response(request, ApiError(408, "RequestTimeout", str(error.detail)))

    app.add_middleware(
        LimitBody,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout,
        deadline=settings.body_deadline,
        too_large=_too_large_response,
    )  # inside CORS, so that its answers carry CORS headers
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["*"],
        )
    app.add_middleware(SameOriginWrites, allowed_origins=settings.cors_origins)
    app.add_middleware(
        TrustedHosts, hosts=[*LOOPBACK_NAMES, settings.host, *settings.trusted_hosts]
    )
    app.include_router(azure.router(service, keys))
    app.include_router(azure_analyze.router(service, keys))
    app.include_router(api.router, dependencies=[Depends(keys.dependency())])
    app.include_router(objects_api.router, dependencies=[Depends(keys.dependency())])
    app.include_router(parts_api.router, dependencies=[Depends(keys.dependency())])
    app.include_router(duplicates_api.router, dependencies=[Depends(keys.dependency())])
    app.include_router(browse_api.router, dependencies=[Depends(keys.dependency())])
    app.include_router(selection_api.router, dependencies=[Depends(keys.dependency())])

    @app.get(
        "/health",
        tags=["imgsearch"],
        summary="Liveness: the server answers and the index opened",
        responses=errors.error_responses(400),
    )
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": service.model_id}

    api_docs.install(app)
    if settings.web_ui:
        web.install(app)
    app.add_middleware(web.HeadAsGet)
    app.add_middleware(web.SecurityHeaders)
    app.add_middleware(_CollapseLeadingSlashes)
    return app


async def _trim_every(seconds: float) -> None:
    """Hand freed memory back to the system every ``seconds``, on a thread of its own (the
    trim locks each heap for a few milliseconds). See :func:`trim_free_memory` for why."""
    while True:
        await asyncio.sleep(seconds)
        await asyncio.to_thread(trim_free_memory)
