"""The streamed zip: every file whole and in order, memory a chunk whatever the files'
size, a file that cannot be opened named inside rather than breaking the download."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path
from typing import BinaryIO

from imgsearch.selection.archive import CHUNK, MISSING, zip_chunks
from imgsearch.store import ImageRecord

SIZE = 48 * 2**20


def record(path: Path, image_id: int) -> ImageRecord:
    stat = path.stat()
    return ImageRecord(str(path), stat.st_size, stat.st_mtime_ns, f"d{image_id}", id=image_id)


def opening(wanted: ImageRecord, files: dict[str, ImageRecord]) -> BinaryIO | None:
    """The file, as the server opens it (the zip writer closes it), or None: not there."""
    return Path(wanted.path).open("rb") if wanted.path in files else None


def test_large_files_stream_through_in_chunks_and_a_gone_file_is_named(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        path = tmp_path / f"video-{n}.mp4"
        with path.open("wb") as out:
            out.truncate(SIZE)  # sparse: 48 MiB of zeros, cheap to make and read
            out.seek(SIZE // 2)
            out.write(bytes([n + 1]) * 16)
        paths.append(path)
    records = [record(p, n + 1) for n, p in enumerate(paths)]
    gone = ImageRecord(str(tmp_path / "gone.jpg"), 10, 0, "dx", id=9)
    entries = [(f"sub/{Path(r.path).name}", r) for r in records[:2]]
    entries += [("gone.jpg", gone), (Path(records[2].path).name, records[2])]
    opened = {r.path: r for r in records}

    written = tmp_path / "out.zip"
    tracemalloc.start()
    try:
        with written.open("wb") as out:
            largest = 0
            for chunk in zip_chunks(entries, lambda r: opening(r, opened)):
                largest = max(largest, len(chunk))
                out.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert largest <= 2 * CHUNK and peak < 8 * CHUNK, (largest, peak)  # 144 MiB went through

    with zipfile.ZipFile(written) as archive:
        assert archive.namelist() == ["sub/video-0.mp4", "sub/video-1.mp4", "video-2.mp4", MISSING]
        assert archive.testzip() is None  # every entry's CRC right
        assert [i.file_size for i in archive.infolist()[:3]] == [SIZE] * 3
        with archive.open("sub/video-1.mp4") as entry:
            entry.seek(SIZE // 2)
            assert entry.read(16) == bytes([2]) * 16
        assert "gone.jpg" in archive.read(MISSING).decode()
