"""``imgsearch db …``: a local PostgreSQL with pgvector, or a local Citus cluster
(coordinator + workers), for trying the PostgreSQL store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from imgsearch.config import default_data_dir

app = typer.Typer(
    help="Run a local PostgreSQL 16 with pgvector (pgserver), or a local Citus cluster, "
    "for the PostgreSQL store.",
    no_args_is_help=True,
)

DataOption = typer.Option(
    None,
    "--data",
    help="Data folder. Default: ~/.local/share/imgsearch/postgres (with --citus: …/citus).",
)
CitusOption = typer.Option(
    False,
    "--citus",
    help="A Citus cluster: a coordinator and --workers workers, each its own PostgreSQL "
    "(needs Citus and pgvector built into the machine's PostgreSQL; see docs/scaling.md).",
)


def _data(data: Path | None, citus: bool = False) -> Path:
    folder = data or default_data_dir(os.environ) / ("citus" if citus else "postgres")
    return folder.expanduser().resolve()


@app.command("start")
def start(
    data: Path | None = DataOption,
    citus: bool = CitusOption,
    workers: int = typer.Option(2, "--workers", min=1, max=16, help="Citus workers."),
) -> None:
    """Start the server (or find it running) and print its URL; it keeps running after this."""
    if citus:
        from imgsearch.store.citus_cluster import start_cluster

        print(start_cluster(_data(data, citus=True), workers).url)
        return
    from imgsearch.store.pgserver import start_server

    server = start_server(_data(data), keep_running=True)
    print(server.url)


@app.command("stop")
def stop(data: Path | None = DataOption, citus: bool = CitusOption) -> None:
    """Stop the server (or the Citus cluster) started by `imgsearch db start`."""
    if citus:
        from imgsearch.store.citus_cluster import stop_cluster

        print("stopped" if stop_cluster(_data(data, citus=True)) else "not running")
        return
    from imgsearch.store.pgserver import stop_server

    print("stopped" if stop_server(_data(data)) else "not running")
