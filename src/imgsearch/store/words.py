"""The words a metadata search sees for an image, and safe full-text queries.

File and folder names are split into words (``IMG_2041``, ``golden-retriever``,
``beachDay`` → ``img 2041 golden retriever beach day``) so that a query for
"retriever" finds ``golden-retriever.jpg``. Both stores index the same text.

Text read in the image (OCR) joins that text, and is also kept *folded* for the
``contains_text`` filter (:func:`fold_text`): OCR of small print often drops the space
between words (``perobisefamo`` for "pero bisefamo") or an accent, so the filter compares
case-, accent- and space-blind substrings rather than words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from imgsearch.types import Box, TextLine

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_WORD = re.compile(r"[^\W_]+")  # letters and digits: "_" separates, as in FTS5
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
    read: str | None = None,
    archive: str | None = None,
) -> str:
    """The searchable metadata of one image as a single document; ``read``: the text
    read in the image (OCR), one line per line; ``archive``: what archives say of it
    (title, description, keywords: :meth:`imgsearch.media.archive.ArchiveMetadata.words`)."""
    pure = PurePath(path)
    folders = pure.parent.parts[-FOLDER_DEPTH:]
    words = split_words(pure.stem)
    for folder in folders:
        words.extend(split_words(folder))
    parts = [" ".join(words)]
    parts.extend(text for text in (camera, caption) if text)
    parts.extend(tags)
    if archive:
        parts.append(archive)
    if read:
        parts.append(read)
    return "\n".join(parts)


def query_words(text: str) -> list[str]:
    """The words a metadata query for ``text`` looks for: each word as written and, where
    it splits (``Room101``, ``beachDay``), its parts too — file names are indexed split,
    captions and read text as written, and a query must find both."""
    whole = [word.lower() for word in _WORD.findall(text)]
    return list(dict.fromkeys([*whole, *split_words(text)]))


def match_expression(text: str) -> str | None:
    """An FTS5 query matching any word of ``text`` (:func:`query_words`); ``None`` when
    it has no words.

    Every word is quoted, so user input can never be read as FTS syntax.
    """
    words = query_words(text)
    if not words:
        return None
    return " OR ".join(f'"{word}"' for word in words)


_CONFUSED = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
"""Characters OCR mistakes for each other (``G1J0SI`` read for ``GIJOSI``), folded to one."""


def fold_text(text: str) -> str:
    """``text`` as the ``contains_text`` filter compares it: compatibility-normalised,
    accents dropped, case-folded, without whitespace or punctuation (OCR drops and invents
    both: ``Region-basedsegmentation``, ``INV-4711`` are found by "region based" and
    "inv 4711"), OCR's usual confusions (0/o, 1/i/l) made one (``Straße 4711`` →
    ``strasse47ll``). Symbols (``€``, ``+``, ``%``) are kept: they carry meaning."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and not _blank(c))
    return kept.casefold().translate(_CONFUSED)


def _blank(character: str) -> bool:
    """Whitespace, separators and punctuation: what folding leaves out."""
    return character.isspace() or unicodedata.category(character)[0] in "PZ"


def fold_lines(stored: str | list[dict[str, object]] | None) -> str:
    """The folded text of stored lines (:func:`lines_to_json`): what a migration writes
    when folding changes."""
    return folded_lines(lines_from_json(stored))


def folded_lines(lines: Sequence[TextLine]) -> str:
    """Every line folded, one per line: a phrase matches within a line, never across two."""
    return "\n".join(fold_text(line.text) for line in lines)


def read_text(lines: Sequence[TextLine]) -> str:
    """The lines' text, one per line (what joins the metadata text)."""
    return "\n".join(line.text for line in lines)


def lines_to_json(lines: Sequence[TextLine]) -> str:
    """Lines as stored: ``[{"text", "box": [x, y, w, h], "confidence"[, "page"]}, …]``."""
    return json.dumps(
        [
            {
                "text": line.text,
                "box": [line.box.x, line.box.y, line.box.w, line.box.h],
                "confidence": line.confidence,
                **({"page": line.page} if line.page is not None else {}),
            }
            for line in lines
        ],
        ensure_ascii=False,
    )


def line_as_dict(line: TextLine) -> dict[str, object]:
    """A line as the CLI's JSON and the HTTP API show it: text, box (pixels; points on a
    page), confidence, and the page of a document it is on (``null`` in a picture)."""
    box = line.box
    return {
        "text": line.text,
        "box": {"x": box.x, "y": box.y, "w": box.w, "h": box.h},
        "confidence": line.confidence,
        "page": line.page,
    }


def lines_from_json(stored: str | list[dict[str, object]] | None) -> list[TextLine]:
    """Lines as :func:`lines_to_json` stored them (PostgreSQL hands back parsed JSON)."""
    items = json.loads(stored) if isinstance(stored, str) else stored or []
    return [
        TextLine(
            str(item["text"]),
            Box(*item["box"]),  # type: ignore[misc]
            float(item["confidence"]),  # type: ignore[arg-type]
            int(str(item["page"])) if item.get("page") is not None else None,
        )
        for item in items
    ]


def matching_line(
    lines: Sequence[TextLine], words: str, required: Sequence[str] = ()
) -> TextLine | None:
    """The line a hit was found by: the one holding every ``required`` phrase (the
    ``contains_text`` filter's) and most of the query's ``words`` (each a folded substring;
    words under 3 letters only as whole words), most confident first; ``None`` when no
    line holds any."""
    wanted = [fold_text(p) for p in required if fold_text(p)]
    query = [fold_text(w) for w in dict.fromkeys(split_words(words))]
    best: tuple[int, float] | None = None
    found = None
    for line in lines:
        folded = fold_text(line.text)
        if not all(phrase in folded for phrase in wanted):
            continue
        tokens = {fold_text(w) for w in split_words(line.text)}
        hits = sum(1 for w in query if (w in folded if len(w) >= 3 else w in tokens))
        if not (hits or wanted):
            continue
        key = (hits, line.confidence)
        if best is None or key > best:
            best, found = key, line
    return found


WORD_FIELDS = ("name", "caption", "tags", "camera", "text", "archive")
"""Where a query's words can be found with a picture: its file and folder names, caption,
tags, EXIF camera, the text read in it, and what archives say of it (title, description,
keywords: :mod:`imgsearch.media.archive`)."""


def _word_forms(text: str) -> set[str]:
    """``text``'s words as compared for :func:`fields_with_words`: case- and accent-blind,
    a plural's ``s`` or ``es`` dropped (the metadata search stems words too)."""
    folded = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    forms = set()
    for word in query_words(bare):
        for ending in ("es", "s"):
            if len(word) > len(ending) + 2 and word.endswith(ending):
                word = word[: -len(ending)]
                break
        forms.add(word)
    return forms


FILLER_WORDS = frozenset(
    ("a", "an", "the", "of", "with", "on", "in", "at", "and", "or", "to", "for", "my", "some",
     "photo", "picture", "image")
)  # fmt: skip
"""Words a query may wrap around what it asks for ("a photo of a …"): a picture's words
hold the query's without them."""


def content_words(words: str) -> frozenset[str]:
    """The forms of the words a query asks for (:func:`_word_forms`, filler left out)."""
    return frozenset(_word_forms(words) - FILLER_WORDS)


@dataclass(frozen=True)
class WordFields:
    """The texts a picture's words are found in, one per :data:`WORD_FIELDS` entry."""

    path: str
    caption: str | None = None
    tags: tuple[str, ...] = ()
    camera: str | None = None
    lines: Sequence[TextLine] = ()
    archive: str | None = None
    """Its archive words (:meth:`imgsearch.media.archive.ArchiveMetadata.words`)."""

    def forms(self) -> dict[str, set[str]]:
        pure = PurePath(self.path)
        texts = {
            "name": " ".join([pure.stem, *pure.parent.parts[-FOLDER_DEPTH:]]),
            "caption": self.caption or "",
            "tags": " ".join(self.tags),
            "camera": self.camera or "",
            "text": read_text(self.lines),
            "archive": self.archive or "",
        }
        return {field: _word_forms(text) for field, text in texts.items()}

    def holding(self, words: str) -> tuple[str, ...]:
        """Which of :data:`WORD_FIELDS` hold one of ``words`` (what a hit says it was
        found by, beside its picture)."""
        wanted = _word_forms(words)
        forms = self.forms()
        return tuple(field for field in WORD_FIELDS if wanted & forms[field])

    def holds_all(self, wanted: frozenset[str]) -> bool:
        """Whether every one of the ``wanted`` forms is found in some field."""
        found = set().union(*self.forms().values())
        return bool(wanted) and wanted <= found
