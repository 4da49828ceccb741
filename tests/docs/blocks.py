"""The code blocks of README.md and docs/*.md, and how each says it is checked.

Every ``bash`` and ``python`` block is preceded by an HTML comment that the rendered page
hides and this module reads:

- ``<!-- test: runs -->``: the test suite runs it as printed, in order with the other
  runnable blocks of its file, in a scratch home that holds the files its commands name
  (:mod:`tests.docs.world`). The one word it changes: ``clip-vit-b-32`` becomes
  ``demo-shapes``, the model that ships inside the package (no CLIP weights are
  reachable offline). ``imgsearch serve`` lines are started in the background and
  stopped before the next one or at the block's end.
- ``<!-- test: not run (why) -->``: not run, and why (it installs packages from the
  registry, downloads a checkpoint, takes twelve minutes, …): a reader of the Markdown
  sees that the block is unchecked and the reason.

A block with neither fails :func:`tests.docs.test_blocks_marked`, so a new example cannot
go unchecked without saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
CHECKED_LANGUAGES = ("bash", "python")
_MARKER = re.compile(r"<!--\s*test:\s*(runs|not run \((?P<why>.+)\))\s*-->")
_FENCE = re.compile(r"^```(?P<language>\S*)\s*$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str | None  # the comment's text after "test:", None when it has none
    why_not: str | None  # the reason, when marked "not run (…)"

    @property
    def runs(self) -> bool:
        return self.marker == "runs"

    @property
    def name(self) -> str:
        return f"{self.document.name}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The fenced blocks of ``document`` in the languages that are checked, in order."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), len(lines)
        )
        language = fence.group("language")
        if language in CHECKED_LANGUAGES:
            before = lines[index - 1] if index else ""
            marker = _MARKER.search(before)
            found.append(
                Block(
                    document,
                    index + 1,
                    language,
                    "\n".join(lines[index + 1 : end]) + "\n",
                    marker.group(1) if marker else None,
                    marker.group("why") if marker else None,
                )
            )
        index = end + 1
    return found


def all_blocks() -> list[Block]:
    return [block for document in DOCUMENTS for block in blocks(document)]
