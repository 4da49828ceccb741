"""The name to print for the running ``imgsearch`` in commands meant to be copied."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path


def program(argv0: str | None = None, search_path: str | None = None) -> str:
    """How to type the running ``imgsearch`` in the user's shell, for commands it prints:
    ``imgsearch`` when that name on the ``PATH`` (``search_path``) is this program, else
    the path that runs it — ``.venv/bin/imgsearch`` after ``make demo``, whose virtual
    environment nobody activated — so that a printed command runs as printed."""
    script = sys.argv[0] if argv0 is None else argv0
    if Path(script).name != "imgsearch":  # python -m …, a test runner: not a shell command
        return "imgsearch"
    found = shutil.which("imgsearch", path=search_path)
    try:
        if found is not None and Path(found).samefile(script):
            return "imgsearch"
        here, cwd = Path(script).resolve(), Path.cwd().resolve()
        shown_path = here.relative_to(cwd) if here.is_relative_to(cwd) else here
    except OSError:
        return "imgsearch"
    return shlex.quote(str(shown_path) if shown_path.is_absolute() else f"./{shown_path}")
