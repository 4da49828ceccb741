"""Why a file is not in the index, in words that say what to do about it: it does not
exist, it failed (with its recorded reason), its folder is indexed but it is not a kind
imgsearch reads (or came after the last run), or its folder was never indexed."""

from __future__ import annotations

import os
from pathlib import Path

from imgsearch.errors import NotIndexed
from imgsearch.store import Store


def why_not_indexed(store: Store, path: str | os.PathLike[str], resolved: Path) -> NotIndexed:
    """The error for ``path`` (``resolved``: its real path), which the store does not hold."""
    where = f"the index at {store.location}"
    if not resolved.exists():
        return NotIndexed(f"{path}: no such file", hint="check the path")
    folder = str(resolved.parent)
    failed = next(
        (f for f in store.failures([folder], limit=10_000) if f.path == str(resolved)),
        None,
    )
    if failed is not None:
        return NotIndexed(
            f"{path} could not be indexed: {failed.message}",
            hint="imgsearch status --errors lists every such file",
        )
    neighbours = store.paths_from(folder + os.sep, 1)
    if neighbours and neighbours[0].startswith(folder + os.sep):
        return NotIndexed(
            f"{path} is not in {where}, though its folder is",
            hint="it is not a picture, video or PDF imgsearch reads, or it came after the "
            "last run: index the folder again",
        )
    return NotIndexed(f"{path} is not in {where}", hint="index its folder first")
