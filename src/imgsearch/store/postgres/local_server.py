"""A local PostgreSQL 16 with pgvector for development, tests and trying the store out.

Uses ``pgserver`` (PyPI; bundles PostgreSQL and pgvector binaries; the
``postgres`` extra). PostgreSQL refuses to run as root; when started by root,
pgserver creates an unprivileged system user (``pgserver``) and runs the server
as that user. The server listens on a Unix socket inside its data folder, not
on the network. For production, point imgsearch at any PostgreSQL ≥ 15 with
pgvector (docs/scaling.md).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgsearch.errors import StoreError


@dataclass
class LocalServer:
    data: Path
    url: str
    handle: Any

    def stop(self) -> None:
        self.handle.cleanup()


def start_server(data: Path, *, keep_running: bool = False) -> LocalServer:
    """Start (or reuse) the server whose data lives in ``data``; return its URL."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise StoreError(
            "running a local PostgreSQL needs the pgserver package",
            hint="pip install 'imgsearch[postgres]'",
        ) from None
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    data = data.expanduser().resolve()
    data.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = pgserver.get_server(data, cleanup_mode=None if keep_running else "stop")
    except Exception as exc:  # pgserver raises subprocess and OS errors
        raise StoreError(
            f"could not start PostgreSQL in {data}: {exc}".splitlines()[0],
            hint=f"see the server log in {data / 'log'}",
        ) from None
    return LocalServer(data, handle.get_uri(), handle)


def stop_server(data: Path) -> bool:
    """Stop the server with its data in ``data``; False if none was running there."""
    if not (data / "postmaster.pid").exists():
        return False
    start_server(data).stop()  # this process holds the last handle: stopping stops it
    return True
