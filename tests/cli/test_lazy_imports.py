"""The command line imports what a command uses, not everything: ``imgsearch --help``
loads no NumPy, Pillow, FAISS, ONNX Runtime, store, server or torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from imgsearch.cli.main import COMMANDS, load_command
from imgsearch.store import IndexSettings, SqliteStore

HEAVY = ("numpy", "PIL", "faiss", "onnxruntime", "tokenizers", "huggingface_hub", "fastapi",
         "torch", "psycopg", "av", "imgsearch.store", "imgsearch.index")  # fmt: skip


def _imported_by(*argv: str) -> set[str]:
    probe = (
        "import sys\n"
        f"sys.argv = ['imgsearch', *{list(argv)!r}]\n"
        "from imgsearch.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )  # fmt: skip
    return set(eval(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [("--help",), ()])
def test_the_command_list_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    assert _imported_by(*argv) == set()


def test_status_and_models_list_load_no_model_runtime_or_search_graph(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "index")
    store.bind(IndexSettings("some-model", 8))
    store.close()
    runtime = {"faiss", "onnxruntime", "fastapi", "torch", "av", "psycopg"}
    assert not _imported_by("status", "--index", str(tmp_path / "index")) & runtime
    assert not _imported_by("models", "list") & runtime
    assert not _imported_by("search", "--help") & runtime


def test_a_command_loads_its_own_imports_when_it_runs() -> None:
    assert "numpy" in _imported_by("vectorize", "--help")
    assert "fastapi" not in _imported_by("vectorize", "--help")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_listed_line_is_the_commands_own_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].summary == own
