"""JSON from outside (request bodies, annotation files, labelled queries, the daemon's
socket) read with one rule: a document nested deeper than Python's parser goes is a bad
document, not a crash.

The standard parser answers ``[[[[…]]]]`` nested a few thousand levels deep with a
``RecursionError``, which no caller expects from reading a file: a server answered 500, the
daemon died and ``imgsearch evaluate`` printed a traceback. :func:`parse` turns it into the
``ValueError`` every caller already reports.
"""

from __future__ import annotations

import json
from typing import Any


def parse(document: str | bytes) -> Any:
    """``json.loads(document)``; raises ``ValueError`` (``json.JSONDecodeError``,
    ``UnicodeDecodeError`` or one for nesting) for anything that is not usable JSON."""
    try:
        return json.loads(document)
    except RecursionError:
        raise ValueError("nested too deeply to be read") from None
