"""``imgsearch serve``: run the HTTP API with uvicorn.

Configuration mistakes (a missing config file, a value out of range, a root
that does not exist) end the command with one line and exit status 2, before
anything listens.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from imgsearch.cli.options import IndexOption, ModelOption
from imgsearch.errors import InvalidSettings


def page_url(host: str, port: int) -> str:
    """Where a browser on this machine finds the page (``0.0.0.0`` / ``::`` listen on every
    address, loopback among them)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default 8000)."),
    roots: list[Path] = typer.Option(
        [],
        "--root",
        help="A folder POST /v1/index keeps in step and files are served from; repeatable.",
    ),
    workers_log: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve search and vectorize over HTTP (schema at /openapi.json); settings also from IMGSEARCH_* and IMGSEARCH_CONFIG."""
    import uvicorn

    from imgsearch.server import create_app
    from imgsearch.server.protocol import guarded_protocol
    from imgsearch.server.settings import load_settings

    given: dict[str, Any] = {
        "index": index_path,
        "model": model,
        "host": host,
        "port": port,
        "roots": [r.expanduser().resolve() for r in roots] or None,
    }
    settings = load_settings(**{k: v for k, v in given.items() if v is not None})
    listening = listen(settings.host, settings.port)  # a busy port fails here, said plainly
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print("settings: " + json.dumps(settings.describe()), markup=False)
    if settings.keyless_warning:
        err.print(f"[bold red]WARNING:[/] {settings.keyless_warning}", markup=True)
    app = create_app(settings)
    port = listening.getsockname()[1]
    if settings.web_ui:
        err.print(f"search page: {page_url(settings.host, port)}", markup=False)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=port,
        log_level=workers_log,
        http=guarded_protocol(
            settings.header_timeout,
            per_client=settings.max_connections_per_client,
            exempt=settings.trusted_proxies,
        ),
        limit_concurrency=settings.max_connections,
        # X-Forwarded-For / -Proto only from the configured reverse proxies; uvicorn's
        # default would believe any client on loopback, letting it pick its own address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[listening])


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``, bound before anything is printed or loaded:
    a port another program holds is an error that says so (uvicorn's own is a raw
    ``[Errno 98]`` after the search page's address was already printed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise InvalidSettings(
                f"port {port} on {host} is already in use by another program",
                hint="stop it, or serve on another port (--port, IMGSEARCH_PORT)",
            ) from None
        raise InvalidSettings(
            f"cannot listen on {host}:{port} ({error.strerror or error})",
            hint="check --host and --port (ports under 1024 need privileges)",
        ) from None
