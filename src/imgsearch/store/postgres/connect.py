"""Connecting to PostgreSQL: clear errors for a bad URL or a server that is not there,
pgvector made available, the schema migrated, and a pool for servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from imgsearch.errors import StoreError, StoreUnavailable
from imgsearch.store.postgres import citus
from imgsearch.store.postgres.migrations import migrate


def connect(conninfo: str, location: str, *, distribute_new: bool = True) -> Any:
    """An autocommit connection with pgvector's types, to a migrated schema; ``location``
    (the URL without its password) names the server in errors. On a Citus coordinator
    a new database's tables are distributed, unless ``distribute_new`` is false (``db
    distribute`` does it itself, with its own shard count)."""
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.ProgrammingError as exc:
        raise StoreError(
            f"bad PostgreSQL URL {location}: {exc}".splitlines()[0],
            hint="use postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?collection=NAME]",
        ) from None
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(
            f"cannot connect to PostgreSQL at {location}: {exc}".splitlines()[0],
            hint="is the server running and the URL right?",
        ) from None
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(
            f"the pgvector extension is not available in {location}: {exc}".splitlines()[0],
            hint="install pgvector on the server (https://github.com/pgvector/pgvector) "
            "or ask an administrator to run CREATE EXTENSION vector",
        ) from None
    register_vector(conn)
    without_jit(conn)
    migrate(conn)
    if citus.has_citus(conn):
        if distribute_new:
            citus.distribute_new(conn)
        citus.configure(conn)
    return conn


def without_jit(conn: Any) -> None:
    """No JIT compilation for this session's queries.

    The search turns sorts and sequential scans off so that only the HNSW index can
    order the rows; a plan that still needs one (a Citus coordinator merging its
    shards' top rows, an exact scan) then costs PostgreSQL's 10¹⁰ penalty, far above
    ``jit_above_cost``, and JIT-compiling it took 5–70 ms per query on this project's
    machine (a Citus search: 11 → 4.5 ms without). These queries call pgvector's
    distance functions, which JIT cannot speed up.
    """
    conn.execute("SET jit = off")


def connection_pool(conninfo: str, size: int, name: str, *, on_citus: bool) -> Any:
    """Up to ``size`` connections like :func:`connect`'s, for callers on many threads
    (``on_citus``: to a Citus coordinator)."""
    from pgvector.psycopg import register_vector
    from psycopg_pool import ConnectionPool

    def configure(conn: Any) -> None:
        register_vector(conn)
        without_jit(conn)
        if on_citus:
            citus.configure(conn)

    return ConnectionPool(
        conninfo,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, "connect_timeout": 10},
        configure=configure,
        name=name,
        open=True,
    )


@contextmanager
def unreachable_as_unavailable(location: str) -> Iterator[None]:
    """Turn a lost connection — to the server, or from a Citus coordinator to one of its
    workers (whose message names it: ``connection to the remote node …:PORT failed``)
    — into :class:`StoreUnavailable`."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        state = exc.sqlstate or ""
        # no state: the client lost its connection; 08: connection exception (Citus's
        # for an unreachable worker); 57P01-03: the server shutting down or starting up
        if state and not state.startswith("08") and state not in ("57P01", "57P02", "57P03"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(
            f"the database at {location} cannot answer: {first}",
            hint="a database server or Citus worker is down or unreachable; retry once it is back",
        ) from None
