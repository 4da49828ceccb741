"""In-memory nearest-neighbour search over one index's vectors: exact, or FAISS HNSW.

Why two paths: below ``hnsw_threshold`` vectors an exact scan is fast enough —
a matrix–vector product over a contiguous float32 matrix for small collections,
and from 20,000 rows a parallel scan of float16 copies (one shard per CPU, see
sharded_scan.py) whose best candidates are re-scored in float32 (4.4 ms per 100k
512-d vectors on 2 cores instead of 8–11 ms); above it, an HNSW graph (FAISS,
vectors kept as float16 to halve memory) answers in about a millisecond with
recall@10 ≥ 0.95. Either way the caller gets exact filtering: ids outside
``allowed`` never come back, and when at least ``k`` allowed ids exist, ``k``
come back (HNSW falls back to an exact scan of the allowed rows when the graph
walk finds too few).

Rows are append-only: replacing an id's vector appends a new row and retires
the old one; removing an id retires its row. Scores are inner products, i.e.
cosine similarities for the L2-normalised vectors imgsearch stores (HNSW scores
carry float16 rounding, ~1e-3; callers re-score hits from the source of truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.lazy import LazyModule
from imgsearch.store.sqlite.sharded_scan import ShardedScan, default_shards

# faiss-cpu ships stubs generated from SWIG that miss much of the API
# (SearchParametersHNSW, HNSW.neighbors, overloaded constructors); use it untyped.
faiss: Any = LazyModule("faiss")

IdArray = NDArray[np.int64]
Vectors = NDArray[np.float32]

DEFAULT_HNSW_THRESHOLD = 50_000
# A filter letting through fewer rows than this (or under this share of all rows) is
# answered by an exact scan of those rows: cheaper than walking a graph whose
# neighbours it mostly rejects.
EXACT_SUBSET_LIMIT = 20_000
EXACT_SUBSET_SHARE = 0.02
# From this many rows on, exact scans read float16 copies on every CPU at once
# (sharded_scan.py) and re-score the best k + SCAN_MARGIN candidates in float32.
SHARDED_SCAN_MIN = 20_000
# A filter keeping this many rows or more is scanned the same way (a bitmap of the kept
# rows) once the index has a sharded scan: gathering 10,000 scattered rows to multiply
# them took 4.9 ms at 100k, the bitmap scan 1.4 ms (500 rows: 0.08 vs 0.46 ms; the two
# cross between 2,000 and 5,000).
SHARDED_SUBSET_MIN = 4_000
SCAN_MARGIN = 32


@dataclass(frozen=True)
class HnswParams:
    """FAISS HNSW settings: ``m`` links per node, build and search beam widths.

    m=16 keeps a million 512-d vectors (float16) and their graph under 1.2 GB;
    ef_search=256 gives recall@10 ≈ 0.98 at 1M clustered vectors in ~1.4 ms (BENCHMARKS.md).
    """

    m: int = 16
    ef_construction: int = 80
    ef_search: int = 256


class VectorIndex:
    """Vectors of one index keyed by image id, searchable exactly or through HNSW."""

    def __init__(
        self,
        dim: int,
        *,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        hnsw: HnswParams = HnswParams(),
    ) -> None:
        self.dim = dim
        self.hnsw_threshold = hnsw_threshold
        self.params = hnsw
        self._ids: IdArray = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        self._row_of: IdArray = np.full(0, -1, dtype=np.int64)  # id -> row, -1 if none
        self._matrix: Vectors = np.empty((0, dim), dtype=np.float32)
        self._rows = 0
        self._live = 0  # rows alive, kept as they change: searches need it, counting is O(n)
        self._graph: Any = None
        self._scan: ShardedScan | None = None
        # The live rows as a FAISS selector, once rows have died: made once per change,
        # shared by the searches until the next one (a 1M-row bitmap costs milliseconds).
        self._live_selector: tuple[IdArray, Any, Any] | None = None

    # -- state ------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Number of live vectors."""
        return self._live

    @property
    def mode(self) -> str:
        return "hnsw" if self._graph is not None else "exact"

    def memory_bytes(self) -> int:
        """Bytes held by vectors and graph (what grows with the collection)."""
        held = self._ids.nbytes + self._alive.nbytes + self._row_of.nbytes + self._matrix.nbytes
        if self._graph is not None:
            codes = self._graph.storage.sa_code_size() * self._graph.ntotal
            links = self._graph.hnsw.neighbors.size() * 4
            held += codes + links
        if self._scan is not None:
            held += self._scan.nbytes
        return int(held)

    # -- updates --------------------------------------------------------------

    def upsert(self, ids: IdArray, vectors: Vectors) -> None:
        """Add vectors for ``ids``, replacing any these ids had."""
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.remove(ids)
        start = self._rows
        self._reserve(start + len(ids), int(ids.max()))
        self._ids[start : start + len(ids)] = ids
        self._alive[start : start + len(ids)] = True
        self._row_of[ids] = np.arange(start, start + len(ids))
        self._rows += len(ids)
        self._live += len(ids)
        self._live_selector = None
        if self._graph is not None:
            self._graph.add(vectors)
        else:
            self._matrix[start : start + len(ids)] = vectors
            if self.count >= self.hnsw_threshold:
                self._build_graph()
            else:
                self._extend_scan()

    def remove(self, ids: IdArray) -> None:
        """Retire the rows of ``ids`` (unknown ids are ignored)."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[ids < len(self._row_of)]
        rows = np.unique(self._row_of[ids])
        rows = rows[rows >= 0]
        self._alive[rows] = False
        self._row_of[ids] = -1
        self._live -= len(rows)
        self._live_selector = None
        dead = self._rows - self.count
        if self._graph is None and dead > 1024 and dead > self._rows // 4:
            self._compact()

    def _compact(self) -> None:
        """Drop retired rows from the exact matrix (the graph keeps them, masked)."""
        live = np.flatnonzero(self._alive[: self._rows])
        self._matrix = np.ascontiguousarray(self._matrix[live])
        self._ids = self._ids[live]
        self._alive = np.ones(len(live), dtype=bool)
        self._rows = len(live)
        self._row_of[:] = -1
        self._row_of[self._ids] = np.arange(len(live))
        self._scan = None  # rows were renumbered
        self._live_selector = None
        self._extend_scan()

    def _extend_scan(self) -> None:
        """Keep the float16 scan copies in step with the matrix once it is large enough.

        Done on writes, so that concurrent searches only ever read it.
        """
        if self._scan is None:
            if self._rows < SHARDED_SCAN_MIN or default_shards() < 2:
                return
            self._scan = ShardedScan(self.dim, default_shards())
        self._scan.extend(self._matrix, self._rows)

    def _reserve(self, rows: int, max_id: int) -> None:
        if rows > len(self._ids):
            grown = max(rows, int(len(self._ids) * 1.5) + 1024)
            self._ids = np.resize(self._ids, grown)
            self._alive = np.concatenate([self._alive, np.zeros(grown - len(self._alive), bool)])
            if self._graph is None:
                matrix = np.empty((grown, self.dim), dtype=np.float32)
                matrix[: self._rows] = self._matrix[: self._rows]
                self._matrix = matrix
        if max_id >= len(self._row_of):
            grown_ids = max(max_id + 1, int(len(self._row_of) * 1.5) + 1024)
            extra = np.full(grown_ids - len(self._row_of), -1, dtype=np.int64)
            self._row_of = np.concatenate([self._row_of, extra])

    def _build_graph(self) -> None:
        graph = faiss.IndexHNSWSQ(
            self.dim, faiss.ScalarQuantizer.QT_fp16, self.params.m, faiss.METRIC_INNER_PRODUCT
        )
        graph.hnsw.efConstruction = self.params.ef_construction
        graph.train(self._matrix[:1])  # fp16 needs no statistics
        graph.add(self._matrix[: self._rows])
        self._graph = graph
        self._scan = None
        self._matrix = np.empty((0, self.dim), dtype=np.float32)

    # -- search ---------------------------------------------------------------

    def search(
        self,
        query: Vectors,
        k: int,
        *,
        allowed: IdArray | None = None,
        exact: bool = False,
    ) -> tuple[IdArray, Vectors]:
        """Top ``k`` ids by inner product with ``query``, best first, with their scores.

        ``allowed`` restricts the answer to those ids; ``exact`` forces a full scan
        even when a graph exists.
        """
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None:
            rows = self._rows_of(allowed)
        elif self._live < self._rows:
            rows = self._live_rows()[0]
        else:
            rows = None
        available = self._rows if rows is None else len(rows)
        k = min(k, available)
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if self._graph is None or exact or self._selective(rows):
            return self._exact(query, k, rows)
        found_rows, scores = self._walk_graph(query, k, rows)
        if len(found_rows) < k:  # the walk ran out of allowed neighbours
            return self._exact(query, k, rows)
        return self._ids[found_rows], scores

    def _selective(self, rows: IdArray | None) -> bool:
        if rows is None or len(rows) == self._rows:
            return False
        return len(rows) <= EXACT_SUBSET_LIMIT or len(rows) < EXACT_SUBSET_SHARE * self.count

    def _rows_of(self, ids: IdArray) -> IdArray:
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._row_of))]
        rows = self._row_of[ids]
        return rows[rows >= 0]

    def _exact(self, query: Vectors, k: int, rows: IdArray | None) -> tuple[IdArray, Vectors]:
        if self._graph is not None:
            return self._scan_storage(query, k, rows)
        available = self._rows if rows is None else len(rows)
        if self._scan is not None and available >= SHARDED_SUBSET_MIN:
            return self._exact_sharded(query, k, rows)
        candidates = np.arange(self._rows) if rows is None else rows
        matrix = self._matrix[: self._rows] if rows is None else self._matrix[rows]
        scores = matrix @ query
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        # Ties broken by id, so every store orders equal scores the same way.
        order = np.lexsort((self._ids[candidates[top]], -scores[top]))
        best = top[order]
        return self._ids[candidates[best]], scores[best].astype(np.float32)

    def _exact_sharded(
        self, query: Vectors, k: int, rows: IdArray | None
    ) -> tuple[IdArray, Vectors]:
        assert self._scan is not None
        allowed = None
        if rows is not None:
            allowed = np.zeros(self._rows, dtype=bool)
            allowed[rows] = True
        candidates = self._scan.candidates(query, k + SCAN_MARGIN, allowed)
        scores = self._matrix[candidates] @ query  # float32: the exact scores
        order = np.lexsort((self._ids[candidates], -scores))[:k]
        best = candidates[order]
        return self._ids[best], scores[order].astype(np.float32)

    def _scan_storage(
        self, query: Vectors, k: int, rows: IdArray | None
    ) -> tuple[IdArray, Vectors]:
        """Every (allowed) float16 vector the graph holds, scored by FAISS's SIMD scan."""
        params = faiss.SearchParameters()
        keep_alive = self._select(params, rows)
        scores, found = self._graph.storage.search(query[None, :], k, params=params)
        del keep_alive
        valid = found[0] >= 0
        found_rows, found_scores = found[0][valid].astype(np.int64), scores[0][valid]
        order = np.lexsort((self._ids[found_rows], -found_scores))
        return self._ids[found_rows[order]], found_scores[order].astype(np.float32)

    def _walk_graph(self, query: Vectors, k: int, rows: IdArray | None) -> tuple[IdArray, Vectors]:
        params = faiss.SearchParametersHNSW()
        beam = max(self.params.ef_search, 2 * k)
        if rows is not None:  # most neighbours get rejected: widen the beam (up to 4x)
            share = len(rows) / max(self.count, 1)
            beam = int(beam * min(4.0, max(1.0, share**-0.5)))
        params.efSearch = beam
        keep_alive = self._select(params, rows)
        scores, found = self._graph.search(query[None, :], k, params=params)
        del keep_alive
        keep = found[0] >= 0
        return found[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def _live_rows(self) -> tuple[IdArray, Any, Any]:
        """The live rows, their packed bitmap and a FAISS selector over it (cached)."""
        cached = self._live_selector
        if cached is None:
            rows = np.flatnonzero(self._alive[: self._rows])
            packed = np.packbits(self._alive[: self._rows], bitorder="little")
            selector = faiss.IDSelectorBitmap(self._rows, faiss.swig_ptr(packed))
            cached = self._live_selector = (rows, packed, selector)
        return cached

    def _select(self, params: Any, rows: IdArray | None) -> tuple[Any, ...]:
        """Restrict a FAISS search to ``rows``; the returned objects must outlive the search."""
        if rows is None:
            return ()
        live = self._live_selector
        if live is not None and rows is live[0]:
            params.sel = live[2]
            return live
        bitmap = np.zeros(self._rows, dtype=bool)
        bitmap[rows] = True
        packed = np.packbits(bitmap, bitorder="little")
        selector = faiss.IDSelectorBitmap(self._rows, faiss.swig_ptr(packed))
        params.sel = selector
        return packed, selector

    # -- persistence ------------------------------------------------------------

    def save(self, folder: Path, stamp: str) -> None:
        """Write the graph and row table atomically; ``stamp`` says which data it reflects."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = self._rows
        tmp_npz = folder / "vectors.tmp.npz"
        with tmp_npz.open("wb") as handle:
            np.savez(
                handle,
                ids=self._ids[:rows],
                alive=self._alive[:rows],
                matrix=self._matrix[:rows] if self._graph is None else self._matrix[:0],
                stamp=np.array(stamp),
            )
        if self._graph is not None:
            faiss.write_index(self._graph, str(folder / "vectors.tmp.faiss"))
            (folder / "vectors.tmp.faiss").replace(folder / "vectors.faiss")
        else:
            (folder / "vectors.faiss").unlink(missing_ok=True)
        tmp_npz.replace(folder / "vectors.npz")

    @classmethod
    def load(
        cls,
        folder: Path,
        dim: int,
        *,
        hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
        hnsw: HnswParams = HnswParams(),
    ) -> tuple[VectorIndex, str] | None:
        """The saved index and its stamp, or ``None`` when missing or unreadable."""
        try:
            with np.load(folder / "vectors.npz") as saved:
                ids, alive, matrix = saved["ids"], saved["alive"], saved["matrix"]
                stamp = str(saved["stamp"])
            graph_file = folder / "vectors.faiss"
            graph = faiss.read_index(str(graph_file)) if graph_file.exists() else None
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        index = cls(dim, hnsw_threshold=hnsw_threshold, hnsw=hnsw)
        rows = len(ids)
        if graph is not None:
            if graph.ntotal != rows or graph.d != dim:
                return None
            index._graph = graph
        elif matrix.shape != (rows, dim):
            return None
        index._ids = ids.astype(np.int64)
        index._alive = alive.astype(bool)
        index._rows = rows
        index._live = int(index._alive.sum())
        index._matrix = matrix.astype(np.float32) if graph is None else index._matrix
        max_id = int(ids.max()) if rows else -1
        index._row_of = np.full(max_id + 1, -1, dtype=np.int64)
        live = np.flatnonzero(index._alive)
        index._row_of[index._ids[live]] = live
        return index, stamp
