"""Folders read off indexed paths: suggestions for a user typing a folder filter, and the
folders a collection spans.

No store keeps a table of folders: they are read off the sorted paths with a
*skip scan*. Paths are compared byte-wise (code point order), so every path
inside folder ``F/`` lies in ``["F/", "F0")`` (``0`` follows ``/``); having seen
one path of a folder, the scan seeks straight past the rest. Each folder found
costs one index seek, and a run of plain files one read per :data:`BATCH` files,
whatever the size of the collection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

BATCH = 64
MAX_READS = 64
"""Reads per suggestion request: a folder that holds many thousands of files directly
is not walked to its end (its subfolders that sort after them are then not offered)."""

PathsFrom = Callable[[str, int], Sequence[str]]
"""``paths_from(key, limit)``: up to ``limit`` indexed paths ``>= key``, in order."""


def _skip_past(folder: str) -> str:
    """The smallest string after every path inside ``folder`` (which ends in ``/``)."""
    return folder[:-1] + "0"


def suggest_folders(paths_from: PathsFrom, typed: str, limit: int = 20) -> list[str]:
    """Indexed folders one level below what was typed, that start with it.

    ``/photos/20`` offers ``/photos/2019/``, ``/photos/2020/``, … (each ending in
    ``/``); files directly in ``/photos/`` are not folders and are not offered.
    """
    if not typed.startswith("/") or limit < 1:
        return []
    base = typed[: typed.rfind("/") + 1]
    found: list[str] = []
    key = typed
    for _ in range(MAX_READS):
        batch = paths_from(key, BATCH)
        seek = None
        for path in batch:
            if not path.startswith(typed):
                return found
            slash = path.find("/", len(base))
            if slash < 0:  # a file directly in base: read on
                key = path + "\x01"  # nothing lies between a path and this (no NUL in paths)
                continue
            found.append(path[: slash + 1])
            if len(found) == limit:
                return found
            seek = _skip_past(found[-1])
            break
        if seek is not None:
            key = seek
        elif len(batch) < BATCH:
            return found
    return found


def collection_folders(paths_from: PathsFrom) -> list[str]:
    """The fewest folders that hold every indexed file (without a trailing ``/``), in
    path order: what "this index's collection" is when its files came from runs over
    different folders. One seek per folder that holds files directly; a folder found
    later that holds earlier ones (``/p/IMG.jpg`` after ``/p/2023/a.jpg``) replaces them."""
    found: list[str] = []
    key = ""
    while batch := paths_from(key, 1):
        folder = batch[0][: batch[0].rfind("/")] or "/"
        inside = folder.rstrip("/") + "/"
        found = [known for known in found if not (known + "/").startswith(inside)]
        found.append(folder)
        key = _skip_past(inside)
    return found
