"""The ``imgsearch`` executable: ask a running daemon first, else run the command here.

Kept apart from :mod:`imgsearch.cli.main` so that a call a daemon answers imports no
command-line framework, model runtime or store (see :mod:`imgsearch.cli.resident`).
"""

from __future__ import annotations

import sys


def run() -> None:
    """Console-script entry point."""
    from imgsearch.cli.resident.client import ask_daemon

    try:
        code = ask_daemon(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    from imgsearch.cli.main import run as run_here

    run_here()
