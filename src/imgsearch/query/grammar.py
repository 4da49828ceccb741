"""The query expression: one grammar for the command line, ``/v1/search``'s ``q`` and the
web page, so the same words mean the same query everywhere.

An expression is parts joined by `` + `` or `` - `` (a sign with space on both sides;
``t-shirt`` is one word), the first part optionally signed too::

    "2:golden retriever" + ./pool.jpg - grass

- A part may start with a weight, ``WEIGHT:`` (``2:``, ``0.5:``); `` - `` negates it.
- Double quotes group: around the part (``"2:golden retriever"``) or its term
  (``2:"golden retriever"``); signs inside quotes are words (``"salt + pepper"``). They
  are dropped from the term. A quote left open is an error, not a guess.
- A term is an **image** when it is an ``http(s)://`` URL, or ends in an image extension
  and is one word or quoted (``holiday.jpg``, ``"my pool.jpg"``) — or, where the caller
  reads local files (the command line), names an existing file. Anything else is **text**.

Parsing reads no file unless the caller asks (``files=True``): over HTTP a path in ``q``
is recognised as one, and refused, without the server ever looking at its disk (a URL
is fetched, with the server's checks); the command line reads paths, not URLs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from imgsearch.errors import InvalidQuery
from imgsearch.media.walk import IMAGE_EXTENSIONS

QUOTE = '"'
_WEIGHT = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+)\s*:(.+)$", re.DOTALL)
_OPERATOR = re.compile(r"\s+([+-])\s+")
_LEADING = re.compile(r"^([+-])\s+")
_DANGLING = re.compile(r"(^|\s)[+-]$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """One part of an expression as written: its text or image path, and its weight
    (negative for a part after `` - ``)."""

    term: str
    weight: float = 1.0
    image: bool = False

    @property
    def url(self) -> bool:
        """An image given by its ``http(s)://`` address."""
        return self.image and _URL.match(self.term) is not None


def parse_terms(expression: str | Sequence[str], *, files: bool = False) -> list[Term]:
    """The parts of ``expression`` (a string, or the command line's words, which the shell
    split at spaces). ``files``: a term naming an existing file is an image whatever its
    name (only where the caller may read local files)."""
    text = (expression if isinstance(expression, str) else " ".join(expression)).strip()
    if not text:
        return []
    if text.count(QUOTE) % 2:
        raise InvalidQuery(
            f"{text!r} leaves a quote open", hint='close the quote ("…") or remove it'
        )
    if _DANGLING.search(text):
        raise InvalidQuery(
            f"{text!r} ends with an operator", hint="write a text or an image after + or -"
        )
    terms: list[Term] = []
    for sign, written in _signed_parts(text):
        terms.append(_term(written, -1.0 if sign == "-" else 1.0, files, text))
    return terms


def format_terms(terms: Sequence[Term]) -> str:
    """The expression that parses back into ``terms`` (what the page writes into its
    search box after a part is reweighted or removed), quoting only where needed. A text
    that ends in an image extension has no spelling as text: it reads back as an image."""
    written = []
    for n, term in enumerate(terms):
        weight = abs(term.weight)
        body = f'"{term.term}"' if _needs_quotes(term) else term.term
        if weight != 1 or _WEIGHT.match(term.term):
            body = f"{_number(weight)}:{body}"
        sign = "-" if term.weight < 0 else "+"
        written.append(f"{sign} {body}" if n or term.weight < 0 else body)
    return " ".join(written)


def _needs_quotes(term: Term) -> bool:
    """A sign that would split or end the part, a start that would read as a weight, or
    an image name with a space (unquoted, that is text)."""
    text = term.term
    signs = _OPERATOR.search(text) or _LEADING.match(text) or _DANGLING.search(text)
    spaced_image = term.image and any(ch.isspace() for ch in text)
    return bool(signs or spaced_image or _WEIGHT.match(text))


def _number(weight: float) -> str:
    short = f"{weight:g}"
    return short if float(short) == weight else repr(weight)


def _signed_parts(text: str) -> list[tuple[str, str]]:
    """(sign, part) pairs, splitting at operators outside double quotes."""
    inside = _quoted_positions(text)
    cuts = [m for m in _OPERATOR.finditer(text) if not inside[m.start(1)]]
    leading = _LEADING.match(text)
    sign, start = (leading.group(1), leading.end()) if leading else ("+", 0)
    pieces = []
    for cut in cuts:
        if cut.start() < start:
            continue
        pieces.append((sign, text[start : cut.start()]))
        sign, start = cut.group(1), cut.end()
    pieces.append((sign, text[start:]))
    return pieces


def _quoted_positions(text: str) -> list[bool]:
    inside, quoted = [], False
    for ch in text:
        if ch == QUOTE:
            quoted = not quoted
        inside.append(quoted)
    return inside


def _term(written: str, sign: float, files: bool, text: str) -> Term:
    if not written.strip() or _LEADING.match(written.strip()):
        raise InvalidQuery(f"an empty part in {text!r}", hint="write a text or an image")
    term, quoted = _unquoted(written.strip())
    weight = 1.0
    match = _WEIGHT.match(term)
    if match:
        weight = float(match.group(1))
        term, inner = _unquoted(match.group(2).strip())
        quoted = quoted or inner
    if not term:
        raise InvalidQuery(f"an empty part in {text!r}", hint="write a text or an image")
    if QUOTE in term:
        raise InvalidQuery(
            f"a quote inside the part {written.strip()!r}",
            hint='quote a whole part or its text: "2:golden retriever" or 2:"golden retriever"',
        )
    image = _URL.match(term) is not None or (
        Path(term).suffix.lower() in IMAGE_EXTENSIONS and (quoted or " " not in term)
    )
    if not image and files:
        image = Path(term).expanduser().is_file()
    return Term(term, sign * weight, image)


def _unquoted(term: str) -> tuple[str, bool]:
    if len(term) >= 2 and term[0] == term[-1] == QUOTE:
        return term[1:-1].strip(), True
    return term, False
