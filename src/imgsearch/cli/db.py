"""``imgsearch db …``: a local PostgreSQL with pgvector, or a local Citus cluster
(coordinator + workers), for trying the PostgreSQL store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from imgsearch.cli.shown import counted
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
    workers: int = typer.Option(
        2,
        "--workers",
        min=1,
        max=16,
        help="Citus workers; a running cluster with fewer gets new ones (then run "
        "`imgsearch db rebalance`).",
    ),
) -> None:
    """Start the server (or find it running) and print its URL; it keeps running after this."""
    if citus:
        from imgsearch.store.postgres.local_cluster import add_worker, start_cluster

        folder = _data(data, citus=True)
        cluster = start_cluster(folder, workers)
        while len(cluster.workers) < workers:  # a running cluster grows to --workers
            cluster = add_worker(folder)
        print(cluster.url)
        return
    from imgsearch.store.postgres.local_server import start_server

    server = start_server(_data(data), keep_running=True)
    print(server.url)


@app.command("stop")
def stop(data: Path | None = DataOption, citus: bool = CitusOption) -> None:
    """Stop the server (or the Citus cluster) started by `imgsearch db start`."""
    if citus:
        from imgsearch.store.postgres.local_cluster import stop_cluster

        print("stopped" if stop_cluster(_data(data, citus=True)) else "not running")
        return
    from imgsearch.store.postgres.local_server import stop_server

    print("stopped" if stop_server(_data(data)) else "not running")


StoreUrlOption = typer.Option(
    None,
    "--store",
    "--index",
    help="The Citus coordinator's URL (postgresql://…). Default: $IMGSEARCH_INDEX.",
)


def _connect(url: str | None, *, distribute_new: bool = True) -> Any:
    """A connection to the coordinator at ``url`` (or $IMGSEARCH_INDEX), schema migrated."""
    from imgsearch.errors import StoreError
    from imgsearch.store.postgres import is_postgres_url, redact, split_url
    from imgsearch.store.postgres.connect import connect

    url = url or os.environ.get("IMGSEARCH_INDEX")
    if not url or not is_postgres_url(url):
        raise StoreError(
            "give the Citus coordinator's URL", hint="--store postgresql://USER@HOST/DB"
        )
    return connect(split_url(url)[0], redact(url), distribute_new=distribute_new)


@app.command("distribute")
def distribute(
    store: str | None = StoreUrlOption,
    shards: int | None = typer.Option(
        None,
        "--shards",
        min=1,
        help="Shards per table (default: the database's citus.shard_count if set, else "
        "two per worker). Every search walks every shard's graph: about the number of "
        "cores across the workers is best.",
    ),
) -> None:
    """Distribute a database's tables over its Citus workers.

    A new database on Citus is distributed on first use, two shards per worker; this
    converts one that already holds collections, copying every collection's rows into
    the shards, or distributes a new one with --shards. Idempotent.
    """
    from imgsearch.store.postgres.citus import distribute as distribute_tables

    with _connect(store, distribute_new=False) as conn:
        images = distribute_tables(conn, shards)
        print(f"distributed: {counted(images, 'image')} in shards on {_spread(conn)}")


@app.command("rebalance")
def rebalance(store: str | None = StoreUrlOption) -> None:
    """Spread the shards evenly over the Citus workers (after adding one).

    Shards move by logical replication while searches and indexing go on; the command
    waits until every move is done.
    """
    from imgsearch.store.postgres.citus import rebalance as rebalance_shards

    with _connect(store) as conn:
        moved = rebalance_shards(conn)
        print(f"moved {moved} shard placements; now {_spread(conn)}")


def _spread(conn: Any) -> str:
    """Each node and how many of the store's shards it holds, as one line."""
    from imgsearch.store.postgres.citus import shard_spread

    return ", ".join(f"{node} ({count} shards)" for node, count in shard_spread(conn).items())
