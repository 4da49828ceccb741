"""The embedded store: one folder with a SQLite database and a vector index beside it.

SQLite (WAL mode) is the source of truth for images, vectors, failures and
runs; readers never block the indexer and see each committed batch. The
in-memory :class:`~imgsearch.store.sqlite.vector_index.VectorIndex` is derived from
it and kept in step through a revision counter: every write that changes
vectors bumps ``rev``, stamps the rows it wrote (``vec_rev``) and leaves a
tombstone for each removed id, so a reader catches up by reading only what
changed since its own revision. The HNSW graph of a large index is saved next
to the database with the revision it reflects and, when stale, caught up the
same way — or rebuilt from SQLite when missing or unreadable.
"""

from imgsearch.store.sqlite.queries import SQLITE
from imgsearch.store.sqlite.store import DATABASE, SqliteStore

__all__ = ["DATABASE", "SQLITE", "SqliteStore"]
