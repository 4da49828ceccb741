"""Where the daemon of an index listens, and who may talk to it (standard library only:
the client imports this before anything else).

The socket is ``resident.sock`` in the index folder. A Unix socket's path must fit in
108 bytes, so for a deeply nested folder, and for a PostgreSQL index (no folder), it is
``imgsearch-<uid>/<hash of the index>.sock`` in ``$XDG_RUNTIME_DIR`` (else the system's
temporary folder), in a folder only this user may enter (``/tmp`` when those paths are too long). Both ends check the other's
user id (``SO_PEERCRED``): a socket planted by another user is never talked to, and
another user's call is never answered.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from collections.abc import Mapping
from pathlib import Path

from imgsearch import json_input
from imgsearch.config import default_index_dir

SOCKET_NAME = "resident.sock"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes; leave room for the terminating zero
MAX_MESSAGE = 16 * 1024 * 1024
"""Largest request or reply read, in bytes (a request is an argument list and an
environment; a reply is the command's output)."""
PROTOCOL = 1


def index_key(index: str | None, env: Mapping[str, str]) -> str:
    """The index a command line names, as one string: a folder's real path, or the URL."""
    if index is None:
        index = str(default_index_dir(env))
    if "://" in index:
        return index
    return str(Path(index).expanduser().resolve())


def socket_path(key: str, env: Mapping[str, str]) -> Path:
    """The socket of the daemon for the index ``key`` (see the module docstring)."""
    if "://" not in key:
        beside = Path(key) / SOCKET_NAME
        if len(str(beside).encode()) <= MAX_SOCKET_PATH:
            return beside
    import hashlib  # (here: this fallback is rare, and the client imports this module)
    import tempfile

    name = hashlib.sha256(key.encode()).hexdigest()[:24] + ".sock"
    folders = [env.get("XDG_RUNTIME_DIR") or "", tempfile.gettempdir()]
    for base in filter(None, folders):
        path = Path(base) / f"imgsearch-{os.getuid()}" / name
        if len(str(path).encode()) <= MAX_SOCKET_PATH:
            return path
    return Path("/tmp") / f"imgsearch-{os.getuid()}" / name


def prepare_folder(path: Path) -> None:
    """Make ready the folder of the socket ``path``: an index folder is there already; a
    private one (see :func:`socket_path`) is created for this user only, and one that
    someone else owns or may enter is refused."""
    if path.name == SOCKET_NAME:
        return
    folder = path.parent
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or not folder.is_dir():
        raise PermissionError(f"{folder} is not a folder only this user may enter")


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    return int(struct.unpack("3i", credentials)[1])


def send(connection: socket.socket, message: dict[str, object]) -> None:
    """One JSON message, then end of writing: the other end reads to the end."""
    connection.sendall(json.dumps(message).encode())
    connection.shutdown(socket.SHUT_WR)


def receive(connection: socket.socket, within: float | None = None) -> dict[str, object]:
    """Read one message to the end; ``{}`` when nothing was sent (a probe: see
    :func:`answers`); ``ValueError`` if it is cut, too large or not JSON, and
    ``TimeoutError`` unless it all arrives ``within`` seconds (a total, not per read: a
    sender trickling a byte at a time cannot hold the reader longer)."""
    deadline = None if within is None else time.monotonic() + within
    chunks, size = [], 0
    while True:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the message did not arrive within {within:g} s")
            connection.settimeout(left)
        try:
            chunk = connection.recv(1 << 16)
        except TimeoutError:
            if within is None:  # the caller's own timeout on each read
                raise
            raise TimeoutError(f"the message did not arrive within {within:g} s") from None
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_MESSAGE:
            raise ValueError(f"message over {MAX_MESSAGE} bytes")
        chunks.append(chunk)
    if not chunks:
        return {}
    message = json_input.parse(b"".join(chunks))
    if not isinstance(message, dict):
        raise ValueError("message is not a JSON object")
    return message


def answers(path: Path) -> bool:
    """Whether a daemon of this user listens at ``path`` (it is sent nothing)."""
    if not path.is_socket():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
            return peer_uid(probe) == os.getuid()
        except OSError:
            return False
