"""Every example of README.md and docs/ marked ``<!-- test: runs -->`` runs as printed.

Each document's blocks run in order, as a reader following it would, in one scratch home
(:mod:`tests.docs.world`), offline, with the ``imgsearch`` this suite tests on the PATH.
What changes (:mod:`tests.docs.blocks`): ``clip-vit-b-32`` becomes ``demo-shapes``, also
as the default model of a new index (``IMGSEARCH_MODEL``); ``imgsearch serve`` lines run
in the background until the port answers and stop before the next server or at the
block's end; what a block leaves running (``imgsearch daemon &``) is stopped with it.
A block passes when every command in it exits 0 (``set -euo pipefail``) and none prints
a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.docs.blocks import DOCUMENTS, Block, blocks
from tests.docs.world import MODEL, build_world

pytestmark = pytest.mark.slow  # generated collections, the demo, real servers

RUNNABLE = [block for document in DOCUMENTS for block in blocks(document) if block.runs]
BLOCK_TIMEOUT_S = 600

PREAMBLE = r"""
set -euo pipefail
SERVER=
stop_server() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; fi
}
await_server() {  # the server just started in the background answers on port $1
    SERVER=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        kill -0 "$SERVER" 2>/dev/null || { echo "imgsearch serve exited" >&2; return 1; }
        sleep 0.1
    done
    echo "imgsearch serve did not answer on port $1" >&2; return 1
}
trap stop_server EXIT
trap 'echo "example failed: $BASH_COMMAND" >&2' ERR
"""
_SERVE = re.compile(r"^(?P<command>(?:\w+=\S+\s+)*imgsearch serve\b[^#]*?)\s*(?:#.*)?$")


def as_run(block: Block) -> str:
    """The block's text as the suite runs it (see the module's docstring)."""
    text = block.text.replace("clip-vit-b-32", MODEL)
    if block.language == "python":
        return text
    lines = []
    for line in text.splitlines():
        serve = _SERVE.match(line)
        if serve is None:
            lines.append(line)
            continue
        port = re.search(r"--port\s+(\d+)", line)
        lines.append(f"stop_server; {serve['command']} & await_server {port[1] if port else 8000}")
    return PREAMBLE + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The scratch home, its working folder, and the environment the blocks run with."""
    home = tmp_path_factory.mktemp("home")
    work = build_world(home)
    scripts = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("IMGSEARCH_", "XDG_")) and key != "HF_HOME"
    }
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join((scripts, env.get("PATH", ""))),
        HF_HUB_OFFLINE="1",
        IMGSEARCH_MODEL=MODEL,
        NO_COLOR="1",
        COLUMNS="120",
    )
    return work, env


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.name for block in RUNNABLE])
def test_the_example_runs_as_printed(block: Block, world: tuple[Path, dict[str, str]]) -> None:
    work, env = world
    command = (
        ["bash", "-c", as_run(block)]
        if block.language == "bash"
        else [sys.executable, "-c", as_run(block)]
    )
    out_file, err_file = work.parent / "block.out", work.parent / "block.err"
    with out_file.open("w") as stdout, err_file.open("w") as stderr:
        # files, not pipes: a daemon the block leaves running would hold a pipe open
        process = subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,  # what it leaves running is stopped with it
        )
        try:
            process.wait(timeout=BLOCK_TIMEOUT_S)
        finally:
            _stop_group(process.pid)
    out, err = out_file.read_text(), err_file.read_text()
    shown = f"{block.name} exited {process.returncode}\n--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}"
    assert process.returncode == 0, shown
    assert "Traceback" not in out + err, shown


def _stop_group(pid: int) -> None:
    """Stop every process the block started (a server, a daemon): politely, then not."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            time.sleep(0.1)
            os.killpg(pid, 0)  # raises once the last one is gone
        os.killpg(pid, signal.SIGKILL)
