"""Splitting one index run over several indexers: ``--part I/N``.

Each file belongs to exactly one of ``N`` parts, decided by a hash of its path
**relative to the folder it was found under** — so machines that mount one share at
different places agree on who indexes what, and ``N`` indexers (processes or machines)
can fill one collection in parallel without overlap. An indexer of part ``I`` looks only
at its own files: the stored rows of other parts are neither read as "vanished" nor
removed. A file moved into another part is removed by its old part's indexer and added
by its new one's (a new id; within one part a move keeps its id as always).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imgsearch.errors import InputError

_PART = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_PARTS = 10_000


@dataclass(frozen=True)
class Part:
    """Part ``index`` (from 0) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_PARTS or not 0 <= self.index < self.count:
            raise InputError(
                f"part {self.index}/{self.count} does not exist",
                hint=f"write I/N with 0 <= I < N <= {MAX_PARTS}, e.g. 0/2 and 1/2",
            )

    @classmethod
    def parse(cls, text: str) -> Part:
        match = _PART.match(text)
        if match is None:
            raise InputError(f"cannot read part {text!r}", hint="write it as I/N, e.g. 0/4")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, relative: str) -> bool:
        """Whether the file at ``relative`` (a ``/``-separated path below its folder) is
        this part's: the first 8 bytes of its SHA-256, modulo ``count``."""
        digest = hashlib.sha256(relative.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def selector(self, roots: Sequence[str]) -> Callable[[str], bool]:
        """A test of absolute paths found under ``roots`` (absolute folders): whether the
        path is this part's, judged relative to the deepest root holding it."""
        prefixes = sorted((root.rstrip("/") + "/" for root in roots), key=len, reverse=True)

        def select(path: str) -> bool:
            for prefix in prefixes:
                if path.startswith(prefix):
                    return self.owns(path[len(prefix) :])
            return self.owns(path)

        return select
