"""The calling side: hand ``imgsearch search …`` to a running daemon, or say it cannot.

Runs before the command line is built, so it imports only the standard library (and
:mod:`.address`): a call the daemon answers costs a Python start, one socket round trip
and the search itself. Anything unexpected — no socket, nobody listening, a daemon of
another user, a refusal (another index or model), a daemon that dies or goes quiet
mid-request — returns ``None`` and the caller runs the command locally, as if there
were no daemon. A search only reads, so running it again locally is always safe.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from imgsearch.cli.resident.address import (
    PROTOCOL,
    index_key,
    peer_uid,
    receive,
    send,
    socket_path,
)

CONNECT_TIMEOUT_S = 2.0
REPLY_TIMEOUT_S = 300.0
"""How long a daemon may take to answer before the call runs locally instead."""
OFF = {"0", "off", "no", "false"}
_ROUTED = {"search"}


def ask_daemon(argv: Sequence[str], env: Mapping[str, str] = os.environ) -> int | None:
    """Run ``argv`` on the daemon of its index: its exit status, or ``None`` to run here."""
    if env.get("IMGSEARCH_RESIDENT", "").lower() in OFF or not argv or argv[0] not in _ROUTED:
        return None
    if _asks_for_help(argv[1:]):
        return None  # help text is the command line's business, not a search
    path = socket_path(index_key(_index_option(argv[1:]), env), env)
    if not path.exists():
        return None
    try:
        reply = _exchange(str(path), _request(argv, env))
    except (OSError, ValueError):
        return None
    if reply.get("refused") is not None or not isinstance(reply.get("code"), int):
        return None
    sys.stdout.write(str(reply.get("stdout", "")))
    sys.stdout.flush()
    sys.stderr.write(str(reply.get("stderr", "")))
    sys.stderr.flush()
    code: int = reply["code"]  # type: ignore[assignment]
    return code


def _asks_for_help(args: Sequence[str]) -> bool:
    return "--help" in args[: args.index("--")] if "--" in args else "--help" in args


def _index_option(args: Sequence[str]) -> str | None:
    """``--index``/``--store`` as typed, if given (the daemon checks it against its own
    parse of the whole command line)."""
    found = None
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        name, equals, value = token.partition("=")
        if name in ("--index", "--store"):
            found = value if equals else next(tokens, "")
    return found


def _request(argv: Sequence[str], env: Mapping[str, str]) -> dict[str, object]:
    return {
        "protocol": PROTOCOL,
        "argv": list(argv),
        "cwd": str(Path.cwd()),
        "env": {**_terminal_size(), **env},
        "tty": {"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty()},
    }


def _terminal_size() -> dict[str, str]:
    """This process's terminal size as ``COLUMNS``/``LINES``, found the way the command's
    own output (Rich) finds it: the first of stdin, stdout, stderr that is a terminal,
    else (or when it reports 0) 80 × 25. The daemon's streams are not the caller's, so it
    must be told; a ``COLUMNS``/``LINES`` the caller set wins, as it does locally."""
    width = height = 0
    for descriptor in (0, 1, 2):
        try:
            width, height = os.get_terminal_size(descriptor)
        except (OSError, ValueError):
            continue
        break
    return {"COLUMNS": str(width or 80), "LINES": str(height or 25)}


def _exchange(path: str, request: dict[str, object]) -> dict[str, object]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(CONNECT_TIMEOUT_S)
        connection.connect(path)
        if peer_uid(connection) != os.getuid():
            raise PermissionError(f"{path} belongs to another user's process")
        connection.settimeout(REPLY_TIMEOUT_S)
        send(connection, request)
        return receive(connection)
