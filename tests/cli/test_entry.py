"""The ``imgsearch`` executable's own start: settings that must precede every import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = (
    "import os, sys\n"
    "sys.argv = ['imgsearch', '--help']\n"
    "from imgsearch.cli.entry import run\n"
    "try:\n    run()\nexcept SystemExit:\n    pass\n"
    "print(os.environ['OPENBLAS_THREAD_TIMEOUT'], file=sys.stderr)\n"
)


def _timeout_seen(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
        env={**clean, **env}, check=False,
    )  # fmt: skip
    return done.stderr.strip().splitlines()[-1]


def test_openblas_threads_stop_spinning_unless_the_user_says_otherwise() -> None:
    assert _timeout_seen() == "4"
    assert _timeout_seen(OPENBLAS_THREAD_TIMEOUT="28") == "28"


def test_a_broken_config_file_stops_the_executable_with_one_line(tmp_path: Path) -> None:
    """The executable reads IMGSEARCH_CONFIG before it asks a daemon (the file may name the
    index the daemon answers for); a wrong path is said once, not a traceback."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv = ['imgsearch', 'status']\n"
         "from imgsearch.cli.entry import run\nrun()"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "IMGSEARCH_CONFIG": f"{tmp_path}/missing.toml"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "missing.toml, which does not exist" in done.stderr
    assert "Traceback" not in done.stderr
