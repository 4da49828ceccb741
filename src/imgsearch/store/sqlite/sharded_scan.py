"""An exhaustive scan over float16 copies of the vectors, split across the CPUs.

Why: an exact search is bound by memory bandwidth — every query reads every
vector. A float32 matrix–vector product reads 4 bytes per dimension on one
core's share of the bandwidth (≈ 8–11 ms per 100k 512-d vectors here); FAISS's
SIMD float16 scan reads half as much, and one shard per CPU scanned in parallel
threads (FAISS releases the GIL) divides the time again (≈ 4–5 ms). The float16
scores only choose candidates: the caller re-scores them from its float32
vectors, so the answer is the exact one unless more than ``margin`` vectors sit
within float16 rounding (~1e-3) of the k-th score.

Rows are assigned round-robin: row ``r`` lives in shard ``r % n`` at position
``r // n``, so rows can only be appended (the caller resets the scan when it
renumbers rows).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.lazy import LazyModule

faiss: Any = LazyModule("faiss")

_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="scan")
    return _POOL


def default_shards() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class ShardedScan:
    def __init__(self, dim: int, shards: int | None = None) -> None:
        self.dim = dim
        count = shards or default_shards()
        self._shards = [
            faiss.IndexScalarQuantizer(
                dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            for _ in range(count)
        ]
        self.rows = 0

    @property
    def nbytes(self) -> int:
        return 2 * self.dim * self.rows

    def extend(self, matrix: NDArray[np.float32], stop: int) -> None:
        """Append rows ``self.rows .. stop`` of ``matrix`` (the caller's row numbering)."""
        start, count = self.rows, len(self._shards)
        if stop <= start:
            return
        for shard_no, shard in enumerate(self._shards):
            first = start + (shard_no - start) % count  # first new row this shard owns
            if first < stop:
                shard.add(np.ascontiguousarray(matrix[first:stop:count], dtype=np.float32))
        self.rows = stop

    def candidates(
        self, query: NDArray[np.float32], k: int, allowed: NDArray[np.bool_] | None
    ) -> NDArray[np.int64]:
        """Rows of (up to) the ``k`` best float16 scores per shard, allowed rows only."""
        count = len(self._shards)

        def scan(shard_no: int) -> NDArray[np.int64]:
            shard = self._shards[shard_no]
            if shard.ntotal == 0:
                return np.empty(0, dtype=np.int64)
            params = faiss.SearchParameters()
            keep: tuple[Any, ...] = ()
            if allowed is not None:
                bits = np.packbits(allowed[shard_no::count][: shard.ntotal], bitorder="little")
                selector = faiss.IDSelectorBitmap(shard.ntotal, faiss.swig_ptr(bits))
                params.sel = selector
                keep = (bits, selector)
            _, found = shard.search(query[None, :], min(k, shard.ntotal), params=params)
            del keep
            local = found[0][found[0] >= 0].astype(np.int64)
            rows: NDArray[np.int64] = local * count + shard_no
            return rows

        parts = list(_pool().map(scan, range(count)))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
