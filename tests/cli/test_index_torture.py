"""Indexing the torture collection: every file indexed or reported — never both, never
neither — with the verdict ``vectorize`` gives too, quietly, and in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch import Index
from imgsearch.errors import ImageError
from imgsearch.media.decode import read_image
from tests.cli.test_cli import imgsearch
from tests.media.torture import EITHER, INDEXED, write_torture_collection

MODEL = "demo-shapes"  # ships with imgsearch: no export, no network


@pytest.fixture(scope="module")
def torture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("torture") / "files"
    return folder, write_torture_collection(folder)


def read_verdict(path: str) -> str:
    try:
        read_image(path, min_short_edge=64)
    except ImageError as error:
        return type(error).__name__
    return INDEXED


def test_every_file_is_indexed_or_reported_once_with_its_type(
    torture: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, expected = torture
    # a process of its own: libtiff writes to the file descriptor, not to sys.stderr
    result = imgsearch(
        "index", str(folder), "--index", str(tmp_path / "index"), "-m", MODEL, process=True
    )
    assert result.returncode == 0, result.stderr
    with Index.open(tmp_path / "index", create=False) as index:
        indexed = {record.path for record in index.store.files_under([str(folder)])}
        failed = {failure.path: failure.code for failure in index.failures()}
    assert not indexed & failed.keys(), "a file both indexed and reported"
    assert indexed | failed.keys() == set(expected), "a file neither indexed nor reported"
    for path, verdict in expected.items():
        found = INDEXED if path in indexed else failed[path]
        assert found == read_verdict(path), f"{path}: index and vectorize disagree"
        if verdict != EITHER:
            assert found == verdict, path
    # The decoders' own chatter (libtiff wrote a line per damaged TIFF) stays out of stderr:
    # one line per failed file, then the summary.
    lines = result.stderr.splitlines()
    assert sum(line.startswith("failed ") for line in lines) == len(failed)
    assert all(
        line.startswith(("failed ", "indexed ", "  ", "0/", "1/")) or "files (" in line
        for line in lines
    ), result.stderr


def test_strict_reflects_what_the_index_lacks_on_every_run(
    torture: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, _ = torture
    index = str(tmp_path / "index")
    first = imgsearch("index", str(folder), "--index", index, "-m", MODEL, "--strict", "--json")
    assert first.returncode == 5
    # Nothing changed: the bad files are skipped unread, and still not indexed.
    again = imgsearch("index", str(folder), "--index", index, "--strict", "--json")
    assert again.returncode == 5, again.stderr
    counts = json.loads(again.stdout)["counts"]
    assert counts["failed"] == 0 and counts["skipped"] > 0
    assert "known bad and unchanged" in imgsearch("index", str(folder), "--index", index).stderr


def test_vectorize_reports_an_unexpected_decoder_exception_as_bad_input(
    torture: tuple[Path, dict[str, str]],
) -> None:
    folder, _ = torture
    result = imgsearch("vectorize", "--image", str(folder / "dds-texture.png"), "-m", MODEL)
    assert result.returncode == 2
    assert "dds-texture.png: a variant of its format that cannot be decoded" in result.stderr
    assert "Traceback" not in result.stderr


PEAK_RSS = """
import os, sys
pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-m", "imgsearch.cli.main", *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


@pytest.mark.slow
def test_bulk_failures_index_in_bounded_memory(tmp_path: Path) -> None:
    # 100 truncated 12 MP PNGs: each decode fills 48 MB before failing. Errors that kept the
    # decoder's frames alive once held those buffers: 120 such files peaked at 3.5 GB.
    folder = tmp_path / "broken"
    folder.mkdir()
    values = np.zeros((3000, 4000, 3), dtype=np.uint8)
    values[::7, :, 0] = 255
    buffer = Path(tmp_path / "whole.png")
    Image.fromarray(values).save(buffer, compress_level=1)
    data = buffer.read_bytes()
    cut = data[: len(data) * 3 // 4]
    for i in range(100):  # distinct bytes, so none is recognised as a duplicate of another
        (folder / f"broken_{i:03}.png").write_bytes(cut + i.to_bytes(2, "big"))
    run = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "index", str(folder), "--index", str(tmp_path / "i"),
         "-m", MODEL, "--quiet"],
        capture_output=True, text=True, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    code, peak_kb = (int(x) for x in run.stdout.split()[-2:])
    assert code == 0
    with Index.open(tmp_path / "i", create=False) as index:
        assert len(index.failures()) == 100
    assert peak_kb / 1024 <= 600, f"peak RSS {peak_kb / 1024:.0f} MB"
