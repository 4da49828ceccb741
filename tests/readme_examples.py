"""The examples the README gives, read as the command line reads them."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from imgsearch.cli.search import search

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_queries() -> list[str]:
    """The query of every ``imgsearch search`` example in the README, as the shell hands
    its words to the command (and as a person would type it into the page)."""
    app = typer.Typer()
    app.command()(search)
    command = typer.main.get_command(app)
    found = []
    for line in README.read_text().splitlines():
        if "imgsearch search " not in line or line.lstrip().startswith(("#", "`", "|")):
            continue
        words = shlex.split(line[line.index("imgsearch search ") :], comments=True)[2:]
        query = command.make_context("search", words, resilient_parsing=True).params["query"]
        if query:
            found.append(" ".join(query))
    return found
