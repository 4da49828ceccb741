"""Tokens and BM25 exactly as the embedded store's SQLite FTS5 computes them.

The PostgreSQL store must give the same metadata scores as the embedded one.
Rather than re-implement FTS5's tokenizer (unicode61 with diacritics removed,
then the Porter stemmer), the text is tokenized by SQLite itself: an in-memory
FTS5 table with the same tokenizer, read back through ``fts5vocab``. BM25 is
then computed in SQL with FTS5's constants and formula (``fts5_aux.c``)::

    idf(t)  = ln((N − n(t) + 0.5) / (n(t) + 0.5)), or 1e-6 when that is ≤ 0
    score   = Σ idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·len/avglen))

with N the number of documents, n(t) those containing t, k1 = 1.2, b = 0.75.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

from imgsearch.store.words import query_words

TOKENIZE = "porter unicode61 remove_diacritics 2"  # the embedded store's images_fts
K1 = 1.2
B = 0.75
_local = threading.local()


def _tokenizer() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(":memory:")
        connection.execute(f"CREATE VIRTUAL TABLE doc USING fts5(body, tokenize = '{TOKENIZE}')")
        connection.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(doc, 'instance')")
        _local.connection = connection
    return connection


def tokens(text: str) -> list[str]:
    """FTS5's tokens of ``text``, in order, with repeats."""
    connection = _tokenizer()
    connection.execute("DELETE FROM doc")
    connection.execute("INSERT INTO doc (rowid, body) VALUES (1, ?)", (text,))
    rows = connection.execute("SELECT term FROM vocab ORDER BY offset").fetchall()
    return [str(row[0]) for row in rows]


def term_counts(text: str) -> tuple[Counter[str], int]:
    """Term frequencies of a document and its length in tokens."""
    found = tokens(text)
    return Counter(found), len(found)


def query_terms(text: str) -> list[str]:
    """The distinct terms a metadata query for ``text`` looks for (its words, stemmed)."""
    return list(dict.fromkeys(t for word in query_words(text) for t in tokens(word)))
