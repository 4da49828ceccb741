"""``/docs``: the HTTP API's reference in the browser, offline.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and starts it with an inline script:
neither works on an air-gapped machine or under the page's Content-Security-Policy
(:mod:`imgsearch.server.web`: this origin's scripts only, no inline script). Here Swagger
UI comes from the ``fastapi-swagger`` package (Swagger UI 5, which reads OpenAPI 3.1, its
files inside the wheel; served from ``/docs/static/``), and a script of our own starts it
on ``/openapi.json``. Like the web
page it holds no data and is served without an API key; "Try it out" sends the key typed
into its *Authorize* dialog.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from imgsearch.server.compressed import CompressedStaticFiles

DOCS = "/docs"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgsearch HTTP API</title>
<link rel="stylesheet" href="docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/static/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
"""
# Relative addresses: the reference works behind a proxy that serves imgsearch under a
# prefix. No validator badge: it would ask validator.swagger.io about our schema.
_START = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


def install(app: FastAPI) -> None:
    """Serve the reference at ``/docs`` (no key needed; the API it describes wants one)."""
    files = resources.files("fastapi_swagger") / "resources"
    app.mount(f"{DOCS}/static", CompressedStaticFiles(directory=str(files)), name="docs-static")

    @app.get(DOCS, include_in_schema=False)
    async def reference() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers={"Cache-Control": "no-cache"})

    @app.get(f"{DOCS}/start.js", include_in_schema=False)
    async def start() -> Response:
        return Response(_START, media_type="text/javascript")
