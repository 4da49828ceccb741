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
from rich.text import Text

from imgsearch.cli import (
    db,
    demo,
    evaluate,
    index,
    labels,
    models,
    search,
    serve,
    status,
    vectorize,
)
from imgsearch.errors import (
    EmptyQuery,
    ImgsearchError,
    IndexNotFound,
    InputError,
    ModelMismatch,
    PixelLimitExceeded,
    StoreError,
    StoreUnavailable,
    TextNotSupported,
)
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
app.add_typer(labels.app, name="labels")
app.command("index")(index.index)
app.command("search")(search.search)
app.command("status")(status.status)
app.command("annotate")(status.annotate)
app.command("vectorize")(vectorize.vectorize)
app.command("serve")(serve.serve)
app.command("evaluate")(evaluate.evaluate_command)

EXIT_UNEXPECTED = 1
EXIT_INPUT = 2
EXIT_MODEL = 3
EXIT_INDEX = 4


def exit_code(error: ImgsearchError) -> int:
    if isinstance(error, InputError):
        return EXIT_INPUT
    return EXIT_INDEX if isinstance(error, StoreError) else EXIT_MODEL


def cli_hint(error: ImgsearchError) -> str:
    """The error's hint in the command line's words: which flag or command to use.

    The one place that knows both the library's errors and this CLI's flags; errors
    without a CLI-specific phrasing keep their own (domain-worded) hint.
    """
    if isinstance(error, ModelMismatch) and error.indexed and error.requested:
        return (
            f"leave out --model to use {error.indexed}, or re-embed every image: "
            f"imgsearch index --reembed --model {error.requested} FOLDER"
        )
    if isinstance(error, EmptyQuery):
        return 'give a text, --image PATH or --like ID, e.g. imgsearch search "red car"'
    if isinstance(error, TextNotSupported):
        return "search with --image PATH (optionally --box) or --like ID"
    if isinstance(error, PixelLimitExceeded):
        return "raise the cap with --max-pixels if you trust this file"
    if isinstance(error, IndexNotFound):
        return "build one first: imgsearch index FOLDER (or pass --index PATH / --store URL)"
    if isinstance(error, StoreUnavailable):
        return f"{error.hint} `imgsearch db start` runs a local PostgreSQL"
    return error.hint


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
        # Messages hold file names: printed as text, never read as Rich markup.
        stderr.print(Text.assemble(("error:", "bold red"), " ", error.message))
        hint = cli_hint(error)
        if hint:
            stderr.print(Text.assemble(("hint:", "dim"), " ", hint))
        sys.exit(exit_code(error))
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
