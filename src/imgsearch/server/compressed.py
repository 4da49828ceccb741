"""Static files sent gzip-compressed to browsers that accept it.

The page's JavaScript and CSS (≈ 77 KB) and Swagger UI's bundle (≈ 1.9 MB) are text that
gzip shrinks to a quarter or less, and they are what a first visit waits for. Each file is
compressed once, the first time it is asked for, and kept in memory with the size and
time it was read at (the files live inside the installed package: a handful, fixed). The
compressed answer has its own ETag (a cache must not hand it to a client that did not ask
for gzip: ``Vary: Accept-Encoding``); conditional requests still get 304, ranges and
other statuses the plain file's answer.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

MIN_BYTES = 1024
"""Smaller files are sent as they are: gzip's header and a round trip cost more."""
COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class CompressedStaticFiles(StaticFiles):
    """:class:`StaticFiles` that answers ``Accept-Encoding: gzip`` with a compressed copy."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._compressed: dict[tuple[str, float, int], bytes] = {}
        self._lock = threading.Lock()

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if not isinstance(response, FileResponse) or response.status_code != 200:
            return response
        headers = Headers(scope=scope)
        if "gzip" not in headers.get("accept-encoding", "") or "range" in headers:
            return response
        kind = response.media_type or ""
        stat = response.stat_result or Path(response.path).stat()
        if stat.st_size < MIN_BYTES or not kind.startswith(COMPRESSED_TYPES):
            return response
        etag = '"{}-gzip"'.format(response.headers.get("etag", "").strip('"'))
        kept = {
            key: value
            for key, value in response.headers.items()
            if key in ("last-modified", "cache-control")
        }
        kept.update(etag=etag, vary="Accept-Encoding")
        if etag in headers.get("if-none-match", ""):  # the compressed copy the client holds
            return Response(status_code=304, headers=kept)
        body = self._gzipped(str(response.path), stat.st_mtime, stat.st_size)
        return Response(body, media_type=kind, headers={**kept, "content-encoding": "gzip"})

    def _gzipped(self, path: str, mtime: float, size: int) -> bytes:
        key = (path, mtime, size)
        with self._lock:
            found = self._compressed.get(key)
        if found is None:
            found = gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)
            with self._lock:
                self._compressed[key] = found
        return found
