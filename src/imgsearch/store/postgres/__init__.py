"""The PostgreSQL + pgvector store: the same contract as the embedded store, on a server.

Selected by a URL, ``postgresql://user@host/db`` (``?collection=NAME`` picks
one of several indexes in the database; default ``default``). Every table
carries ``collection_id`` in its keys. On a Citus coordinator the tables that grow
with a collection are distributed by image id (:mod:`imgsearch.store.postgres.citus`,
docs/scaling.md).

- vectors live in a ``vector`` column; each collection has its own partial
  HNSW index with cosine ops on ``vector::halfvec(dim)`` (pgvector ≥ 0.7; else
  ``vector::vector(dim)``), built in bulk once the collection holds
  ``hnsw_threshold`` vectors (m and ef_construction configurable);
- search asks PostgreSQL for candidates (HNSW, or an exact scan when the
  collection is small, the query is ``exact``, or the index cannot find k
  rows under a selective filter: pgvector before 0.8 filters after the index
  scan), then re-scores them in float32 from the stored vectors, so cosines
  and their order are exactly the embedded store's;
- the metadata score is BM25 over the same tokens as the embedded store's
  FTS5 (:mod:`imgsearch.store.postgres.terms`), computed in SQL;
- every batch is one transaction of upserts keyed by (collection, path) — paths
  locked, then updated by id or copied in — so a repeated batch after a crash
  updates rather than duplicates; binding and re-embedding take a per-collection
  advisory lock.
"""

from imgsearch.store.postgres.dialect import POSTGRES
from imgsearch.store.postgres.store import PostgresStore
from imgsearch.store.postgres.url import (
    DEFAULT_COLLECTION,
    URL_SCHEMES,
    is_postgres_url,
    redact,
    split_url,
)

__all__ = [
    "DEFAULT_COLLECTION",
    "POSTGRES",
    "URL_SCHEMES",
    "PostgresStore",
    "is_postgres_url",
    "redact",
    "split_url",
]
