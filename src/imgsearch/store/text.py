"""The words a metadata search sees for an image, and safe full-text queries.

File and folder names are split into words (``IMG_2041``, ``golden-retriever``,
``beachDay`` → ``img 2041 golden retriever beach day``) so that a query for
"retriever" finds ``golden-retriever.jpg``. Both stores index the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_WORD = re.compile(r"\w+", re.UNICODE)
FOLDER_DEPTH = 3
"""How many enclosing folders contribute words (``~/Pictures/2019/Rome/x.jpg`` → pictures 2019 rome)."""


def split_words(name: str) -> list[str]:
    """Lower-case words of a file or folder name, split at punctuation and camelCase."""
    return [word.lower() for part in _WORD.findall(name) for word in _CAMEL.split(part) if word]


def metadata_text(
    path: str,
    *,
    camera: str | None = None,
    caption: str | None = None,
    tags: Iterable[str] = (),
) -> str:
    """The searchable metadata of one image as a single document."""
    pure = PurePath(path)
    folders = pure.parent.parts[-FOLDER_DEPTH:]
    words = split_words(pure.stem)
    for folder in folders:
        words.extend(split_words(folder))
    parts = [" ".join(words)]
    parts.extend(text for text in (camera, caption) if text)
    parts.extend(tags)
    return "\n".join(parts)


def match_expression(text: str) -> str | None:
    """An FTS5 query matching any word of ``text``; ``None`` when it has no words.

    Every word is quoted, so user input can never be read as FTS syntax.
    """
    words = list(dict.fromkeys(split_words(text)))
    if not words:
        return None
    return " OR ".join(f'"{word}"' for word in words)
