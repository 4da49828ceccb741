"""Opening the embedded store's database: WAL mode, and patience with other processes."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from imgsearch.errors import StoreError

OPEN_TIMEOUT = 60.0  # seconds a new connection waits for other writers


def connect(database: Path, timeout: float = OPEN_TIMEOUT) -> sqlite3.Connection:
    """A connection in WAL mode, waiting up to ``timeout`` for other processes.

    Why the loop: when two processes open a new database at once, both hold a shared lock
    and both ask for WAL; SQLite refuses one of them at once ("database is locked")
    instead of calling the busy handler, because waiting could deadlock. The refused one
    lets go and tries again; by then the database is in WAL mode and the switch is a no-op.
    """
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        connection = None
        try:
            connection = sqlite3.connect(
                database, isolation_level=None, timeout=timeout, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            return connection
        except sqlite3.OperationalError as exc:
            if connection is not None:
                connection.close()
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() + pause > deadline:
                raise StoreError(f"cannot open the index database {database}: {exc}") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        except sqlite3.Error as exc:
            if connection is not None:
                connection.close()
            raise StoreError(f"cannot open the index database {database}: {exc}") from None
