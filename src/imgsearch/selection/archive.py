"""A zip of many indexed files, streamed as it is written: entries stored (pictures and
videos are compressed already), each file read in chunks and sent on, so memory stays a
chunk whatever the selection's size, and the first bytes leave before the last file is
opened. A file no longer available (moved, changed, outside the roots) is left out and
named in ``imgsearch-missing.txt`` inside the archive: the answer began long before."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import BinaryIO

from imgsearch.store import ImageRecord

CHUNK = 1024 * 1024
MISSING = "imgsearch-missing.txt"


class _Sink(io.RawIOBase):
    """What the zip writer writes to: kept until :meth:`take` hands it on. It cannot
    seek, so the writer puts each entry's sizes after its data (data descriptors)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> Iterator[bytes]:
        if self._parts:
            yield b"".join(self._parts)
            self._parts.clear()


def _when(record: ImageRecord) -> tuple[int, int, int, int, int, int]:
    moment = dt.datetime.fromtimestamp(max(record.mtime_ns / 1e9, 315_532_800))  # zip: ≥ 1980
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def zip_chunks(
    entries: Iterable[tuple[str, ImageRecord]],
    open_file: Callable[[ImageRecord], BinaryIO | None],
    extra: Mapping[str, str] | None = None,
) -> Iterator[bytes]:
    """The bytes of a zip holding each ``(name, record)``'s file under ``name``, in order,
    then each ``extra`` document (name → text); ``open_file`` gives a record's file, or
    None when it is not available."""
    sink = _Sink()
    missing: list[str] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, record in entries:
            stream = open_file(record)
            if stream is None:
                missing.append(f"{record.path}\tno longer available as indexed\n")
                continue
            info = zipfile.ZipInfo(name, _when(record))
            info.compress_type = zipfile.ZIP_STORED
            with stream, archive.open(info, "w", force_zip64=record.size > 2**31) as entry:
                while chunk := stream.read(CHUNK):
                    entry.write(chunk)
                    yield from sink.take()
            yield from sink.take()
        for name, text in (extra or {}).items():
            archive.writestr(name, text.encode("utf-8"))
        if missing:
            archive.writestr(MISSING, "".join(missing))
    yield from sink.take()
