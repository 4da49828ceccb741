"""``imgsearch serve``: run the HTTP API with uvicorn."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from imgsearch.cli.options import IndexOption, ModelOption


def serve(
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default 8000)."),
    roots: list[Path] = typer.Option(
        [], "--root", help="A folder POST /v1/index keeps in step; repeatable."
    ),
    workers_log: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve search and vectorize over HTTP (OpenAPI docs at /docs); settings also from IMGSEARCH_* and IMGSEARCH_CONFIG."""
    import uvicorn

    from imgsearch.server import ServerSettings, create_app

    given: dict[str, Any] = {
        "index": index_path,
        "model": model,
        "host": host,
        "port": port,
        "roots": [r.expanduser().resolve() for r in roots] or None,
    }
    settings = ServerSettings(**{k: v for k, v in given.items() if v is not None})
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print("settings: " + json.dumps(settings.describe()), markup=False)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=workers_log)
