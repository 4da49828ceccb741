"""Resident mode end to end: ``imgsearch daemon`` keeps an index loaded and the installed
``imgsearch search`` asks it — same output and exit status as a local call, another
index or model refused (the call runs locally), a dead or mute daemon never in the way."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgsearch.cli.resident.address import index_key, receive, socket_path
from imgsearch.demo.collection import generate_collection
from imgsearch.index import Index
from tests.conftest import photo

EXECUTABLE = str(Path(sys.executable).with_name("imgsearch"))
OFF = {"IMGSEARCH_RESIDENT": "off"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGSEARCH_")}
    return {**env, "HF_HUB_OFFLINE": "1", "COLUMNS": "200", **extra}


def build_index(root: Path, seed: int) -> Path:
    collection = generate_collection(root / "photos", 16, seed=seed)
    with Index.open(root / "index", model="demo-shapes") as index:
        index.update([collection.root])
    return root / "index"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_index(tmp_path_factory.mktemp("resident"), seed=11)


class Daemon:
    def __init__(self, index: Path, *args: str) -> None:
        self.log = index.parent / f"daemon-{time.monotonic_ns()}.log"
        with self.log.open("w") as sink:
            self.process = subprocess.Popen(
                [EXECUTABLE, "daemon", "--index", str(index), *args],
                stdout=sink, stderr=subprocess.STDOUT, env=_env(), cwd=index.parent,
            )  # fmt: skip
        self.socket = socket_path(index_key(str(index), os.environ), os.environ)
        deadline = time.monotonic() + 60
        while "answering searches" not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.05)

    def text(self) -> str:
        return self.log.read_text()

    def answered(self) -> int:
        return self.text().count(" answered (")

    def settled(self, expected: int) -> int:
        """The count of answered calls once it reaches ``expected`` (or after 10 s): the
        daemon logs a call after its reply is sent, so the caller may finish first."""
        deadline = time.monotonic() + 10
        while self.answered() < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.answered()

    def logged(self, line: str) -> bool:
        """Whether ``line`` appears in the log within 10 s (see :meth:`settled`)."""
        deadline = time.monotonic() + 10
        while line not in self.text() and time.monotonic() < deadline:
            time.sleep(0.02)
        return line in self.text()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def daemon(indexed: Path) -> Iterator[Daemon]:
    running = Daemon(indexed)
    yield running
    running.stop()


def search(*args: str, cwd: Path | None = None, **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [EXECUTABLE, "search", *args], capture_output=True, text=True, env=_env(**env),
        cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


CALLS = [
    ("red circle", "--top", "3"),
    ("blue star", "--json", "--top", "5"),
    ("a green square", "--paths", "--min-confidence", "auto"),
    ("images/shape-00003.jpg", "--json", "--top", "2"),  # an example image, relative path
    ("red", "--box", "1,2"),  # a usage error: exit 2, a hint
    ("red", "--min-confidence", "high"),
    ("red circle", "--under", "elsewhere"),  # no hits
]


def test_the_daemon_answers_exactly_as_a_local_call_would(indexed: Path, daemon: Daemon) -> None:
    photos = indexed.parent / "photos"
    for call in CALLS:
        argv = (*call, "--index", str(indexed))
        local = search(*argv, cwd=photos, **OFF)
        before = daemon.answered()
        assert search(*argv, cwd=photos) == local, call
        assert daemon.settled(before + 1) == before + 1, call  # and the daemon answered it
    code, out, _ = search("red circle", "--top", "3", "--index", str(indexed))
    assert code == 0 and out.count("shape-") == 3


def test_on_a_terminal_the_table_is_drawn_for_that_terminal(indexed: Path, daemon: Daemon) -> None:
    def on_terminal(**env: str) -> bytes:
        main, child = pty.openpty()
        os.set_blocking(main, False)
        environment = {k: v for k, v in _env(**env).items() if k not in ("COLUMNS", "LINES")}
        process = subprocess.Popen(
            [EXECUTABLE, "search", "red circle", "--top", "4", "--index", str(indexed)],
            stdout=child, stderr=child, env=environment,
        )  # fmt: skip
        os.close(child)
        output = b""
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            try:
                chunk = os.read(main, 1 << 16) if ready else b""
            except OSError:  # the terminal closed when the process ended
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=60)
        os.close(main)
        return output

    before = daemon.answered()
    assert on_terminal() == on_terminal(**OFF)
    assert daemon.settled(before + 1) == before + 1


def test_another_model_is_refused_and_the_call_runs_here(indexed: Path, daemon: Daemon) -> None:
    argv = ("red circle", "--index", str(indexed), "--model", "clip-vit-b-32")
    local = search(*argv, **OFF)
    assert local[0] == 3  # not cached offline: the local call's own error
    assert search(*argv) == local
    assert daemon.logged("refused: another model") and daemon.answered() == 0


def test_a_daemon_never_answers_for_another_index(
    indexed: Path, daemon: Daemon, tmp_path: Path
) -> None:
    other = build_index(tmp_path, seed=12)
    (other / "resident.sock").symlink_to(daemon.socket)  # its socket leads to the daemon
    argv = ("red circle", "--json", "--index", str(other))
    local = search(*argv, **OFF)
    assert str(tmp_path / "photos") in local[1]
    assert search(*argv) == local
    assert daemon.logged("refused: another index") and daemon.answered() == 0


def test_the_daemon_sees_what_an_index_run_adds_while_it_runs(tmp_path: Path) -> None:
    index = build_index(tmp_path, seed=14)
    running = Daemon(index)
    try:
        added = tmp_path / "photos" / "images" / "added-later.png"
        photo(300, 200, seed=99).save(added)
        update = subprocess.run(
            [EXECUTABLE, "index", str(tmp_path / "photos"), "--index", str(index), "--quiet"],
            capture_output=True, text=True, env=_env(IMGSEARCH_RESIDENT="off"), timeout=120,
            check=False,
        )  # fmt: skip
        assert update.returncode == 0, update.stderr
        argv = ("--like", str(added), "--top", "1", "--paths", "--index", str(index))
        assert search(*argv) == (0, f"{added}\n", "") == search(*argv, **OFF)
        assert running.settled(1) == 1
    finally:
        running.stop()


def test_a_second_daemon_for_the_same_index_is_refused(indexed: Path, daemon: Daemon) -> None:
    second = subprocess.run(
        [EXECUTABLE, "daemon", "--index", str(indexed)], capture_output=True, text=True,
        env=_env(), timeout=60, check=False,
    )  # fmt: skip
    assert second.returncode == 4
    assert "a daemon already answers for this index" in second.stderr
    assert search("red", "--index", str(indexed))[0] == 0 and daemon.settled(1) == 1


def _status(index: Path) -> dict[str, object]:
    done = subprocess.run(
        [EXECUTABLE, "status", "--index", str(index), "--json"], capture_output=True,
        text=True, env=_env(), timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_stopped_daemon_leaves_no_socket_and_calls_run_here(indexed: Path) -> None:
    running = Daemon(indexed)
    assert running.socket.is_socket() and running.socket.stat().st_mode & 0o077 == 0
    assert _status(indexed)["daemon"] == str(running.socket)  # status says it is there
    running.stop()
    assert "dropped" not in running.text()  # status only knocked: nothing to answer
    assert running.process.returncode == 0 and not running.socket.exists()
    assert _status(indexed)["daemon"] is None
    assert search("red circle", "--index", str(indexed))[0] == 0


def test_a_daemon_that_dies_mid_request_or_was_killed_is_not_in_the_way(tmp_path: Path) -> None:
    index = build_index(tmp_path, seed=13)
    path = socket_path(index_key(str(index), os.environ), os.environ)
    argv = ("red circle", "--json", "--index", str(index))
    local = search(*argv, **OFF)
    assert local[0] == 0 and local[1]

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    requests: list[dict[str, object]] = []

    def die_mid_request() -> None:
        connection, _ = listener.accept()
        requests.append(receive(connection))
        connection.close()  # gone before it answers

    mute = threading.Thread(target=die_mid_request)
    mute.start()
    assert search(*argv) == local
    mute.join(timeout=30)
    assert requests and requests[0]["argv"] == ["search", *argv]
    listener.close()  # like a killed daemon: the socket file stays, nobody listens
    assert path.is_socket()
    assert search(*argv) == local


def test_the_answered_call_loads_no_command_line_framework_model_or_store(
    indexed: Path, daemon: Daemon
) -> None:
    probe = (
        "import sys\n"
        "from imgsearch.cli.resident.client import ask_daemon\n"
        f"code = ask_daemon(['search', 'red', '--index', {str(indexed)!r}])\n"
        "heavy = {'typer', 'click', 'rich', 'numpy', 'onnxruntime', 'imgsearch.store'}\n"
        "print(code, sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=60,
        check=False,
    )  # fmt: skip
    assert done.stderr.strip().splitlines()[-1] == "0 []", (done.stderr, daemon.text())
    assert daemon.settled(1) == 1


def test_the_socket_of_a_deep_folder_or_a_database_lives_in_a_private_folder(
    tmp_path: Path,
) -> None:
    runtime = tmp_path / "run"
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    short = index_key(str(tmp_path / "index"), env)
    assert socket_path(short, env) == Path(short) / "resident.sock"
    deep = index_key(str(tmp_path / ("d" * 120)), env)
    url = "postgresql://u@localhost/db?collection=photos"
    for key in (deep, url):
        path = socket_path(key, env)
        assert len(str(path)) <= 100
        if len(str(runtime)) < 60:
            assert path.parent == runtime / f"imgsearch-{os.getuid()}"
        too_long = socket_path(key, {"XDG_RUNTIME_DIR": str(tmp_path / ("r" * 90))})
        assert too_long.parent == Path(tempfile.gettempdir()) / f"imgsearch-{os.getuid()}"
    assert socket_path(deep, env) != socket_path(url, env)


def test_the_index_a_command_line_names_is_the_one_it_opens(tmp_path: Path) -> None:
    from imgsearch.config import default_index_dir

    for env in ({"IMGSEARCH_INDEX": str(tmp_path / "x")}, {"XDG_DATA_HOME": str(tmp_path)}):
        assert index_key(None, env) == os.path.realpath(default_index_dir(env))
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "x")
    assert index_key(str(link), {}) == str((tmp_path / "x").resolve())


def test_calls_that_are_not_searches_or_ask_for_help_are_never_sent(indexed: Path) -> None:
    from imgsearch.cli.resident.client import ask_daemon

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = socket_path(index_key(str(indexed), os.environ), os.environ)
    listener.bind(str(path))
    listener.listen(8)
    listener.settimeout(0.2)
    try:
        for argv in (
            ["status", "--index", str(indexed)],
            ["search", "--help", "--index", str(indexed)],
            ["search", "red", f"--index={indexed}"],  # sent, but with IMGSEARCH_RESIDENT=off
        ):
            env = {**os.environ, "IMGSEARCH_RESIDENT": "off"} if argv[1] == "red" else os.environ
            assert ask_daemon(argv, env) is None
            with pytest.raises(TimeoutError):
                listener.accept()
    finally:
        listener.close()
        path.unlink()


def test_a_hostile_caller_neither_kills_nor_holds_the_daemon(indexed: Path, daemon: Daemon) -> None:
    """A request nested thousands of levels deep once killed the daemon (a RecursionError
    nobody caught), and one trickled a byte at a time held it for 10 s per byte read; now
    the first is dropped as malformed and the second once its 10 s are up in all."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as deep:
        deep.connect(str(daemon.socket))
        deep.sendall(b"[" * 100_000)
        deep.shutdown(socket.SHUT_WR)
        deep.recv(1)
    assert daemon.logged("dropped a request: nested too deeply")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(str(daemon.socket))
        started = time.monotonic()
        with pytest.raises(OSError):  # the daemon hangs up (broken pipe)
            while time.monotonic() - started < 30:
                slow.sendall(b" ")  # never finished; each byte once reset the 10 s wait
                time.sleep(0.5)
        assert time.monotonic() - started < 15
    assert daemon.logged("dropped a request: the message did not arrive within 10 s")
    assert daemon.process.poll() is None
    code, out, _ = search("red circle", "--top", "1", "--index", str(indexed))
    assert code == 0 and out and daemon.settled(1) == 1
