"""One index run at a time per set of files: the lock both stores hold while a run writes.

Two runs of the same folders at once (``imgsearch index`` while the server's "Index now"
runs) each read the files the other was adding, found their bytes already stored, and
counted them as duplicates. A run takes its lock first: ``all``, or its part (``2/4``:
runs of different parts fill one index together, see :mod:`imgsearch.indexer.parts`). A
second run of the same name waits for the first to end (``wait``: it then finds the files
in step and counts nothing twice) or is refused at once with
:class:`~imgsearch.errors.IndexBusy` (the server's "Index now"). The lock dies with its
holder, so a killed run never leaves one behind.

- The embedded store: ``flock`` on a file beside the database (per open file, so two
  runs in one process exclude each other too).
- PostgreSQL: a session advisory lock on a connection of its own, per collection and name.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imgsearch.errors import IndexBusy

ADVISORY_KEY = 7_302
"""The first key of the runs' advisory locks (7,300 and 7,301 are the schema's and the
graphs')."""


def _busy(location: str, name: str) -> IndexBusy:
    which = "an index run" if name == "all" else f"an index run of part {name}"
    return IndexBusy(
        f"{which} is already writing to the index at {location}",
        hint="wait for it to finish (imgsearch status shows the last run), then run again",
    )


@contextmanager
def file_run_lock(folder: Path, location: str, name: str, wait: bool = False) -> Iterator[None]:
    """The embedded store's run lock: ``flock`` on ``folder/run-NAME.lock``."""
    path = folder / f"run-{name.replace('/', '-of-')}.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise _busy(location, name) from None
        yield
    finally:
        os.close(handle)  # releases the lock


@contextmanager
def advisory_run_lock(
    conninfo: str, collection_id: int, location: str, name: str, wait: bool = False
) -> Iterator[None]:
    """The PostgreSQL store's run lock, held by a connection of its own (not the store's,
    which the run itself uses): closing it releases the lock, as a killed process's does."""
    from imgsearch.store.postgres.connect import connect

    key = zlib.crc32(f"{collection_id}:{name}".encode()) & 0x7FFFFFFF
    connection = connect(conninfo, location)
    try:
        if wait:
            connection.execute("SELECT pg_advisory_lock(%s, %s)", (ADVISORY_KEY, key))
        else:
            (taken,) = connection.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (ADVISORY_KEY, key)
            ).fetchone()
            if not taken:
                raise _busy(location, name)
        yield
    finally:
        connection.close()  # ends the session, and with it the lock
