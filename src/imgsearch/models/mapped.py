"""Copies of single-file ONNX graphs with their weights as external data, made once in
the cache, so that every later session maps the weights instead of parsing them.

A graph whose weights sit inside its protobuf (every Hugging Face transformers.js
export, int8 graphs published beside them, models exported by imgsearch before it wrote
external data) is parsed whole each time a session starts: 334 ms for a ViT-B/32 text
tower, against 100 ms when ONNX Runtime can memory-map the same weights from a file
beside the graph (BENCHMARKS.md, cold start). A one-shot ``imgsearch search`` pays that
on every call. So the first session of such a graph writes a copy under
``CACHE/mapped/KEY/`` (``KEY`` covers the graph's resolved path, size and mtime, so a
re-downloaded model gets a fresh copy) and every session after it loads the copy. The
vectors are bit-identical: the same tensors, stored elsewhere.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

MIN_BYTES = 16 * 2**20
"""Graphs smaller than this are used as they are: a graph whose weights are already
external is small (its structure alone), and a small model parses fast anyway."""


def cache_key(source: Path) -> str:
    """A name for copies of ``source`` that changes when the file does."""
    stat = source.stat()
    return hashlib.sha256(
        f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    ).hexdigest()[:24]


def mapped_copy(source: Path, cache_dir: Path, *, min_bytes: int | None = None) -> Path:
    """The graph a session should load for ``source``: ``source`` itself when it is
    smaller than ``min_bytes`` (default :data:`MIN_BYTES`), else its copy with external
    weights under ``cache_dir`` (written now if missing). Any failure to write the copy
    (a read-only cache, a full disk) leaves ``source`` in use: slower to start, the same
    vectors."""
    try:
        if source.stat().st_size < (MIN_BYTES if min_bytes is None else min_bytes):
            return source
        target = cache_dir / "mapped" / cache_key(source) / source.name
        if target.exists():
            return target
        return _write_copy(source, target)
    except Exception:  # onnx and the filesystem raise assorted errors; the original works
        return source


def _write_copy(source: Path, target: Path) -> Path:
    from imgsearch.models.layout import external_weights

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        partial = Path(scratch) / target.name
        shutil.copyfile(source, partial)
        data = external_weights(partial)
        # the weights first, the graph that names them last: a graph that exists is whole
        (Path(scratch) / data).replace(target.parent / data)
        partial.replace(target)
    return target
