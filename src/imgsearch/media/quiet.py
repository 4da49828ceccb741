"""Silencing what decoders print on their own: Pillow's warnings and libtiff's messages.

A folder of damaged TIFFs made libtiff write a line per problem to stderr — hundreds of
lines between imgsearch's own reports, which already name each bad file once with its
typed error. Process-wide, so only the edges call :func:`quiet_decoders` (the CLI and
the server); a library user keeps their stderr unless they call it too. It imports
nothing heavy: libtiff (loaded with Pillow) is silenced now if Pillow is loaded, else as
soon as :mod:`imgsearch.media.decode` loads it. Where its loaded copy can be found
(Linux).
"""

from __future__ import annotations

import ctypes
import sys
import warnings
from pathlib import Path

_asked = False
_silenced = False


def quiet_decoders() -> None:
    global _asked
    _asked = True
    # Pillow's own warnings (DecompressionBombWarning included) come from its modules.
    warnings.filterwarnings("ignore", module=r"PIL\.")
    if "PIL.Image" in sys.modules:
        _silence_libtiff()


def pillow_loaded() -> None:
    """Called by the module that imports Pillow: finish what :func:`quiet_decoders`
    asked for."""
    if _asked:
        _silence_libtiff()


def _silence_libtiff() -> None:
    """Once per process (a daemon runs the command line many times in one)."""
    global _silenced
    if _silenced:
        return
    _silenced = True
    for library in _loaded_libraries("libtiff"):
        try:
            tiff = ctypes.CDLL(library)
            tiff.TIFFSetErrorHandler(None)
            tiff.TIFFSetWarningHandler(None)
        except (OSError, AttributeError):
            continue


def _loaded_libraries(stem: str) -> list[str]:
    maps = Path("/proc/self/maps")
    if not sys.platform.startswith("linux") or not maps.exists():
        return []
    found = []
    for line in maps.read_text().splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if path.rpartition("/")[2].startswith(stem) and path not in found:
            found.append(path)
    return found
