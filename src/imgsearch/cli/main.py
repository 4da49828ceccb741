"""Entry point: builds the Typer app and turns library errors into one-line messages.

Exit codes: 0 success; 1 unexpected failure; 2 bad input or usage (an
unreadable image, a malformed box, an unknown option); 3 a model problem
(unknown, not cached offline, incomplete, failed export); 4 an index problem
(none at that path, built with another model, cannot be written); 5
``imgsearch index --strict`` completed but some files could not be indexed.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from imgsearch.cli import db, demo, index, models, search, serve, status, vectorize
from imgsearch.errors import ImgsearchError, InputError, StoreError
from imgsearch.media.failures import quiet_decoders
from imgsearch.media.memory import return_large_buffers
from imgsearch.models.registry import load_plugins

app = typer.Typer(
    name="imgsearch",
    help="Multi-modal image search: vectorize, index and search images by text, image or region.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(models.app, name="models")
app.add_typer(demo.app, name="demo")
app.add_typer(db.app, name="db")
app.command("index")(index.index)
app.command("search")(search.search)
app.command("status")(status.status)
app.command("annotate")(status.annotate)
app.command("vectorize")(vectorize.vectorize)
app.command("serve")(serve.serve)

EXIT_UNEXPECTED = 1
EXIT_INPUT = 2
EXIT_MODEL = 3
EXIT_INDEX = 4


def exit_code(error: ImgsearchError) -> int:
    if isinstance(error, InputError):
        return EXIT_INPUT
    return EXIT_INDEX if isinstance(error, StoreError) else EXIT_MODEL


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    # Every bad image is reported once, typed, by imgsearch: decoders' own chatter is noise.
    quiet_decoders()
    return_large_buffers()
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        load_plugins(os.environ.get("IMGSEARCH_PLUGINS"))
        app(args=argv, prog_name="imgsearch")
    except ImgsearchError as error:
        stderr.print(f"[bold red]error:[/] {error.message}", markup=True)
        if error.hint:
            stderr.print(f"[dim]hint:[/] {error.hint}", markup=True)
        sys.exit(exit_code(error))
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
