"""Connecting to PostgreSQL: clear errors for a bad URL or a server that is not there,
pgvector made available, the schema migrated, and a pool for servers."""

from __future__ import annotations

from typing import Any

from imgsearch.errors import StoreError, StoreUnavailable
from imgsearch.store.pg_migrations import migrate


def connect(conninfo: str, location: str) -> Any:
    """An autocommit connection with pgvector's types, to a migrated schema; ``location``
    (the URL without its password) names the server in errors."""
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
    migrate(conn)
    return conn


def connection_pool(conninfo: str, size: int, name: str) -> Any:
    """Up to ``size`` connections like :func:`connect`'s, for callers on many threads."""
    from pgvector.psycopg import register_vector
    from psycopg_pool import ConnectionPool

    return ConnectionPool(
        conninfo,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, "connect_timeout": 10},
        configure=register_vector,
        name=name,
        open=True,
    )
