"""Commands printed for copying name the imgsearch that runs them in the user's shell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imgsearch.cli.program import program


def _script(folder: Path) -> Path:
    folder.mkdir(parents=True)
    script = folder / "imgsearch"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return script


def test_printed_commands_name_imgsearch_as_the_shell_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ours = _script(tmp_path / ".venv" / "bin")
    other = _script(tmp_path / "elsewhere")
    # on the PATH: just its name
    assert program(str(ours), search_path=str(ours.parent)) == "imgsearch"
    # not on the PATH (make demo), or another imgsearch first on it: the path that runs it
    assert program(".venv/bin/imgsearch", search_path="") == "./.venv/bin/imgsearch"
    assert program(str(ours), search_path=str(other.parent)) == "./.venv/bin/imgsearch"
    monkeypatch.chdir(other.parent)  # outside the working folder: absolute, quoted if need be
    assert program(str(ours), search_path="") == str(ours)
    spaced = _script(tmp_path / "my tools")
    assert program(str(spaced), search_path=os.devnull) == f"'{spaced}'"
    # python -m imgsearch, a test runner: not something to type
    assert program("/usr/lib/python3/site-packages/pytest/__main__.py") == "imgsearch"
