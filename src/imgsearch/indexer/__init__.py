"""Bring an index in step with folders on disk: walk → hash → decode → embed → write.

Every run compares the disk with the store and does the least work that makes
them agree:

* unchanged files (same size and mtime) are skipped without being read;
* changed files are hashed; if the bytes are the same (a touched file) only the
  metadata is refreshed, otherwise the file is embedded again;
* a new file whose bytes the index already holds is not embedded: if those
  bytes belonged to a file that has gone, it is a **move** (the row keeps its
  id and vector), otherwise a **duplicate** (its vector is copied);
* files that vanished are removed at the end, after moves were matched;
* bad files are recorded with their reason and not retried until they change;
* a many-part item — a video, a PDF (by content: see :mod:`imgsearch.kinds` and
  :mod:`imgsearch.indexer.many_parts`) — is one item whose kept parts (frames, pages)
  are its regions, written with it in one transaction: whole or not at all. A duplicate
  one (same bytes as one still indexed) is embedded again.

Decoding runs in a thread pool ahead of the model, and every batch is written
in one transaction, in path order. Killing the process at any moment loses
only the batch in flight, and the next run picks up exactly where this one
stopped — ids, paths and vectors end up as an uninterrupted run leaves them.

The steps (``plan`` → ``read`` → ``decide`` → write) are functions of immutable
values in :mod:`imgsearch.indexer.steps`; :mod:`imgsearch.indexer.run` runs them.
"""

from imgsearch.indexer.report import (
    EVENT_KINDS,
    MAX_REPORTED_FAILURES,
    EventKind,
    IndexEvent,
    IndexReport,
)
from imgsearch.indexer.run import Indexer

__all__ = [
    "EVENT_KINDS",
    "MAX_REPORTED_FAILURES",
    "EventKind",
    "IndexEvent",
    "IndexReport",
    "Indexer",
]
