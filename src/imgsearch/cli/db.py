"""``imgsearch db …``: a local PostgreSQL with pgvector, for trying the PostgreSQL store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from imgsearch.config import default_data_dir

app = typer.Typer(
    help="Run a local PostgreSQL 16 with pgvector (pgserver) for the PostgreSQL store.",
    no_args_is_help=True,
)

DataOption = typer.Option(
    None, "--data", help="Data folder. Default: ~/.local/share/imgsearch/postgres."
)


def _data(data: Path | None) -> Path:
    return (data or default_data_dir(os.environ) / "postgres").expanduser().resolve()


@app.command("start")
def start(data: Path | None = DataOption) -> None:
    """Start the server (or find it running) and print its URL; it keeps running after this."""
    from imgsearch.store.pgserver import start_server

    server = start_server(_data(data), keep_running=True)
    print(server.url)


@app.command("stop")
def stop(data: Path | None = DataOption) -> None:
    """Stop the server started by `imgsearch db start`."""
    from imgsearch.store.pgserver import stop_server

    print("stopped" if stop_server(_data(data)) else "not running")
