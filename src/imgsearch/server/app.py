"""Building the FastAPI application: routes, errors, limits, CORS, start-up and shutdown."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from imgsearch import __version__
from imgsearch.server import api, azure, errors
from imgsearch.server.auth import KeyCheck
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

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > settings.max_body_bytes:
            if request.url.path.startswith(errors.AZURE_PREFIX):
                return error_response(request, azure.size_error())
            return error_response(
                request,
                ApiError(
                    413, "PayloadTooLarge", f"the body is over {settings.max_body_bytes} bytes"
                ),
            )
        return await call_next(request)

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
    def health() -> dict[str, Any]:
        return {"status": "ok", "model": service.model_id}

    app.add_middleware(_CollapseLeadingSlashes)
    return app
