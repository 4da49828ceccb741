"""The web page: static files shipped inside the package, and the headers that keep it safe.

The page is one more client of the ``/v1`` API (plain ES modules, no build step, no
CDN): it works on an air-gapped machine. It holds no data itself, so it is served
without an API key; every call it makes carries the key the user typed.

Every response carries :data:`SECURITY_HEADERS`. The Content-Security-Policy allows
only this origin's own scripts and styles (no inline script, no ``eval``), images from
this origin and from the ``blob:`` URLs the page makes of keyed thumbnails, videos
likewise (a hit's file, played in place), and no framing: a file name or caption that slipped into the page as HTML could run nothing.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imgsearch.server.compressed import CompressedStaticFiles

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Another site's page may not load thumbnails, frames or files with <img> or <video>
    # (with keys off, or a browser that sends a key it holds); origins allowed by
    # cors_origins read them through CORS, which this does not restrict.
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATIC_PREFIX = "/static"
PAGE_CACHE = "no-cache"  # revalidated each load: a new version is picked up at once
_ENCODED = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers.extend((k, v) for k, v in _ENCODED if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Answers ``HEAD`` wherever ``GET`` is answered (RFC 9110 asks it of every server;
    FastAPI routes name GET alone): the GET's status and headers, without its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def page_html() -> str:
    return resources.files("imgsearch").joinpath("web", "index.html").read_text("utf-8")


def install(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under :data:`STATIC_PREFIX`."""
    html = page_html()

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": PAGE_CACHE})

    static = CompressedStaticFiles(packages=[("imgsearch", "web")], follow_symlink=False)
    app.mount(STATIC_PREFIX, static, name="static")
