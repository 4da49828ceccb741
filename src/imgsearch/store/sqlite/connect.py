"""Opening the embedded store's database: WAL mode, and patience with other processes."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
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


class _ThreadConnection:
    """One thread's connection; closed when the thread ends and its thread-local goes."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __del__(self) -> None:
        self.connection.close()


class ThreadReaders:
    """A read connection per thread, so searches on server threads read concurrently (WAL)
    and never inside another thread's transaction.

    Why each connection lives and dies with its thread: the server's worker threads come
    and go (an idle one ends after seconds, a busy moment starts new ones). Connections
    kept for the store's lifetime piled up, one per thread ever seen, each with its file
    handles and page cache: the server's memory grew by about 8 MB a minute under load.
    """

    def __init__(self, database: Path) -> None:
        self._database = database
        self._local = threading.local()
        self._open: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use."""
        held: _ThreadConnection | None = getattr(self._local, "held", None)
        if held is None:
            held = _ThreadConnection(connect(self._database))
            self._local.held = held
            with self._lock:
                self._open.add(held)
        return held.connection

    def close(self) -> None:
        """Close every thread's connection (threads still running reopen on next use)."""
        with self._lock:
            for held in list(self._open):
                held.connection.close()
            self._open.clear()
        self._local = threading.local()
