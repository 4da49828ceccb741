"""The ``imgsearch`` executable: ask a running daemon first, else run the command here.

Kept apart from :mod:`imgsearch.cli.main` so that a call a daemon answers imports no
command-line framework, model runtime or store (see :mod:`imgsearch.cli.resident`).
"""

from __future__ import annotations

import os
import sys

OPENBLAS_THREAD_TIMEOUT = "4"
"""How long (2^4 cycles) NumPy's OpenBLAS threads spin for more work after a product
before they sleep. Its default (2^28 cycles, ≈ 0.1 s) keeps them spinning through the
next query's model run, on the cores ONNX Runtime needs: a search with a new text on
2 cores took 40–63 ms instead of 18–28 ms (BENCHMARKS.md). Products stay multi-threaded.
Read once, when OpenBLAS loads: so it is set here, before anything imports NumPy; a
value in the environment wins."""


def run() -> None:
    """Console-script entry point."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT)
    from imgsearch.config import with_config_file
    from imgsearch.errors import InvalidSettings

    try:
        # before the daemon is asked: the config file may name the index it answers for
        os.environ.update(with_config_file(os.environ))
    except InvalidSettings:
        from imgsearch.cli.main import run as report_here

        report_here()  # says what is wrong with the config file, and exits
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
