"""Items named on the command line — ids or paths, and ``-`` for more on standard input
(one per line: what ``imgsearch search --paths`` and ``imgsearch browse --paths``
print) — as indexed ids, for commands that act on many at once."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imgsearch.index import Index


def named(given: Sequence[str]) -> Iterator[str]:
    """Each item named, ``-`` replaced by the non-empty lines of standard input."""
    for item in given:
        if item == "-":
            yield from (line.rstrip("\r\n") for line in sys.stdin if line.strip())
        else:
            yield item


def item_ids(index: Index, given: Sequence[str]) -> list[int]:
    """The ids of the items named (a number is an id, anything else a path); one that is
    not indexed is an error that names it."""
    ids = []
    for item in named(given):
        record = index.get(int(item)) if item.isdigit() else index.find(item)
        ids.append(record.id)
    return list(dict.fromkeys(ids))
