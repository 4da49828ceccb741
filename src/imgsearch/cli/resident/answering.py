"""The answering side: one index and its model kept loaded, searches run on request.

Each request is the command line of an ``imgsearch search`` call, its working folder and
its environment. The daemon runs that very command — the same parsing, search, output
and exit status as a local call — with the working folder, environment and standard
streams swapped in for the duration (requests are answered one at a time, in the one
thread that swaps them), and :func:`imgsearch.cli.options.open_index` handing out the
loaded index. That hand-out checks the call is for this index and this model, as the
command itself parsed them; if not, the request is refused and the caller runs it
locally. Only ``search`` is answered: nothing that writes.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from imgsearch.cli import options
from imgsearch.cli.resident.address import (
    PROTOCOL,
    answers,
    index_key,
    peer_uid,
    prepare_folder,
    receive,
    send,
    socket_path,
)
from imgsearch.errors import DaemonAlreadyRunning, TextNotSupported
from imgsearch.index import Index
from imgsearch.query.expression import Query, QueryPart

READ_TIMEOUT_S = 10.0
"""How long a caller may take to send its request (requests are answered one at a time)."""
ANSWERED = frozenset({"search"})


class NotResident(Exception):
    """The call names another index or model than the daemon's: run it locally."""


@dataclass(frozen=True)
class Identity:
    """What the daemon answers for: the index (real path or URL) and the model, as the
    command line names them (``model`` None: the index's own, whatever the daemon loaded)."""

    key: str
    model: str
    precision: str | None
    model_id: str


class _Captured(io.StringIO):
    """A standard stream for one request: collects text, and is a terminal when the
    caller's is (so tables are drawn for the caller's screen, not for a pipe)."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self._terminal = terminal

    def isatty(self) -> bool:
        return self._terminal


class Daemon:
    def __init__(self, index: Index, identity: Identity, log: Callable[[str], None]) -> None:
        self.index = index
        self.identity = identity
        self.log = log

    def claim(self, index: str | None, model: str | None, precision: str | None) -> Index:
        """The loaded index, if the parsed command line asks for exactly it (else refused)."""
        env = os.environ
        if index_key(index, env) != self.identity.key:
            raise NotResident("another index")
        name = model or env.get("IMGSEARCH_MODEL") or None
        wanted_precision = precision or env.get("IMGSEARCH_PRECISION") or None
        if name is None:
            bound = self.index.settings
            if bound is None or bound.model_id != self.identity.model_id:
                raise NotResident("the index is bound to another model now")
        elif name != self.identity.model:
            raise NotResident(f"another model ({name})")
        if wanted_precision != self.identity.precision:
            raise NotResident(f"another precision ({wanted_precision})")
        return self.index

    def serve(self, listener: socket.socket) -> None:
        """Answer connections until interrupted (Ctrl-C, SIGTERM)."""
        while True:
            connection, _ = listener.accept()
            with connection:
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        started = time.perf_counter()
        try:
            if peer_uid(connection) != os.getuid():
                self.log("refused a caller of another user")
                return
            request = receive(connection, within=READ_TIMEOUT_S)
            if not request:
                return  # a probe (`imgsearch status`, a second daemon): nothing to answer
            reply = self.run(request)
            send(connection, reply)
        except (OSError, ValueError) as error:
            self.log(f"dropped a request: {error}")
            return
        took = (time.perf_counter() - started) * 1000
        if reply.get("refused") is not None:
            self.log(f"refused: {reply['refused']}")
        else:
            self.log(f"answered ({took:.0f} ms, exit status {reply['code']})")

    def run(self, request: dict[str, Any]) -> dict[str, object]:
        """Run one request's command line as the caller would have, or refuse it."""
        argv, cwd, env = request.get("argv"), request.get("cwd"), request.get("env")
        if request.get("protocol") != PROTOCOL:
            return {"refused": f"protocol {request.get('protocol')!r}, not {PROTOCOL}"}
        if not isinstance(argv, list) or not _strings(argv) or not argv or argv[0] not in ANSWERED:
            return {"refused": "not a search"}
        if not isinstance(cwd, str) or not isinstance(env, dict) or not _strings(env.values()):
            return {"refused": "malformed request"}
        terminal = request.get("tty")
        if not isinstance(terminal, dict):
            terminal = {}
        out, err = _Captured(bool(terminal.get("stdout"))), _Captured(bool(terminal.get("stderr")))
        try:
            with _as_caller(cwd, env, out, err), options.answering_for(self.claim):
                code = _run_command(argv)
        except NotResident as refusal:
            return {"refused": str(refusal)}
        except OSError as error:  # the caller's folder is gone, or cannot be entered
            return {"refused": f"working folder: {error}"}
        return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _strings(values: Iterable[object]) -> bool:
    return all(isinstance(v, str) for v in values)


def _run_command(argv: list[str]) -> int:
    """The command line's own entry point on ``argv``, its exit status as Python gives it."""
    from imgsearch.cli.main import run

    try:
        run(argv)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    except NotResident:
        raise
    except Exception:  # as an uncaught exception ends a local call: traceback, status 1
        traceback.print_exc()
        return 1
    return 0


@contextmanager
def _as_caller(cwd: str, env: dict[str, str], out: TextIO, err: TextIO) -> Iterator[None]:
    """The caller's working folder, environment and streams, for the length of a request."""
    saved_cwd, saved_env = Path.cwd(), dict(os.environ)
    saved_out, saved_err = sys.stdout, sys.stderr
    os.chdir(cwd)
    try:
        os.environ.clear()
        os.environ.update(env)
        sys.stdout, sys.stderr = out, err
        yield
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def listen(path: Path) -> socket.socket:
    """A socket at ``path`` only this user may use; refuses when a daemon already answers."""
    prepare_folder(path)
    if path.exists() or path.is_symlink():
        if answers(path):
            raise DaemonAlreadyRunning(
                f"a daemon already answers for this index at {path}",
                hint="stop that one first (Ctrl-C, or kill its process)",
            )
        path.unlink()  # left by a daemon that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(mask)
    listener.listen(64)
    return listener


def run_daemon(
    index: Index, identity: Identity, log: Callable[[str], None], ready: Callable[[Path], None]
) -> None:
    """Warm the model and index up, listen, answer until stopped; the socket goes with it."""
    # load the model's sessions and the vectors now, not on the first call (an image-only
    # model has nothing to warm with a text)
    with suppress(TextNotSupported):
        index.search(Query((QueryPart(text="a photo"),), top=1))
    path = socket_path(identity.key, os.environ)
    listener = listen(path)
    inode = path.stat().st_ino
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        ready(path)
        Daemon(index, identity, log).serve(listener)
    finally:
        signal.signal(signal.SIGTERM, previous)
        listener.close()
        if path.exists() and path.stat().st_ino == inode:  # not a newer daemon's
            path.unlink()


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
