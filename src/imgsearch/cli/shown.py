"""Collection strings (file names, captions, text read in pictures, error messages that
quote them) as a terminal may show them.

A file name may hold any byte but ``/`` and NUL: ``ESC ] 0 ; … BEL`` retitles the
terminal, ``ESC [ 2 J`` clears it, ``ESC [ 8 m`` hides what follows, and some terminals
answer queries by typing into the shell. Rich passes ESC and C1 controls through, so the
commands that print collection strings pass them through :func:`shown` first — as ``ls``
does on a terminal. Output for programs (``--json`` escapes them; ``--paths`` when piped)
stays exact.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` with every control character (C0, DEL, C1) written as a visible escape
    (``\\x1b``), so that printing it cannot steer the terminal."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def counted(count: int, thing: str, things: str | None = None) -> str:
    """``count`` and the word for that many: ``1 image``, ``2 images``, ``0 boxes``
    (``things``: a plural that is not ``thing`` + s)."""
    return f"{count} {thing if count == 1 else things or thing + 's'}"
