"""Entry point: builds the Typer app and turns library errors into one-line messages.

Exit codes: 0 success; 1 unexpected failure; 2 bad input or usage (an
unreadable image, a malformed box, an unknown option); 3 a model problem
(unknown, not cached offline, incomplete, failed export); 4 an index problem
(none at that path, built with another model, cannot be written); 5
``imgsearch index --strict`` completed but some files could not be indexed.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from imgsearch.cli.shown import shown
from imgsearch.config import with_config_file
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
from imgsearch.media.memory import return_large_buffers
from imgsearch.media.quiet import quiet_decoders


@dataclass(frozen=True)
class LazyCommand:
    """A command whose module is imported only when it runs (or its own help is asked
    for): ``imgsearch --help`` and every other command do not pay for its imports."""

    module: str
    attribute: str
    summary: str
    """Its line in ``imgsearch --help`` (a test keeps it the command's own first line)."""


COMMANDS = {
    "index": LazyCommand(
        "imgsearch.cli.index", "index",
        "Index images and videos under FOLDERS: new and changed files embedded, moves and "
        "deletions followed."
    ),
    "search": LazyCommand(
        "imgsearch.cli.search", "search",
        "Search the index by text, image, region or a weighted mix of them.",
    ),
    "browse": LazyCommand(
        "imgsearch.cli.browse", "browse",
        "List the collection without a query: newest first, or counted by folder, month, tag.",
    ),
    "export": LazyCommand(
        "imgsearch.cli.export", "export",
        "Export indexed items: CSV, JSON lines or a COCO subset, and their files as a zip.",
    ),
    "status": LazyCommand(
        "imgsearch.cli.status", "status",
        "Show image counts, model, size on disk and the last run of the index.",
    ),
    "annotate": LazyCommand(
        "imgsearch.cli.status", "annotate",
        "Add a caption and tags to indexed images; the metadata score searches them.",
    ),
    "daemon": LazyCommand(
        "imgsearch.cli.daemon", "daemon",
        "Keep an index and its model loaded, so `imgsearch search` on it answers in "
        "milliseconds.",
    ),
    "vectorize": LazyCommand(
        "imgsearch.cli.vectorize", "vectorize",
        "Print {\"modelVersion\": ..., \"vector\": [...]} for one image (or region) or one text.",
    ),
    "classify": LazyCommand(
        "imgsearch.cli.classify", "classify",
        "What one picture shows: the index's tag phrases (or --label ones) with confidences.",
    ),
    "serve": LazyCommand(
        "imgsearch.cli.serve", "serve",
        "Serve search and vectorize over HTTP (schema at /openapi.json); settings also from "
        "IMGSEARCH_* and IMGSEARCH_CONFIG."
    ),
    "evaluate": LazyCommand(
        "imgsearch.cli.evaluate", "evaluate_command",
        "Measure retrieval (Recall@k, MRR, nDCG, mAP) and confidence (precision/recall at "
        "the cut-off, ROC-AUC, calibration error) on labelled queries.",
    ),
    "duplicates": LazyCommand(
        "imgsearch.cli.duplicates", "duplicates",
        "Find copies: the same bytes, or resized, re-encoded, cropped, colour-adjusted or "
        "turned pictures. Only reports; nothing is deleted.",
    ),
    "models": LazyCommand("imgsearch.cli.models", "app", "List, export and verify models."),
    "demo": LazyCommand(
        "imgsearch.cli.demo", "app",
        "The offline demo: generated shape images, searched with the shipped demo-shapes model.",
    ),
    "db": LazyCommand(
        "imgsearch.cli.db", "app",
        "Run a local PostgreSQL 16 with pgvector (pgserver), or a local Citus cluster, "
        "for the PostgreSQL store.",
    ),
    "labels": LazyCommand("imgsearch.cli.labels", "app", "Check the labels of annotated boxes."),
    "tags": LazyCommand(
        "imgsearch.cli.tags", "app", "Automatic tags: what each picture shows, from a vocabulary."
    ),
}  # fmt: skip


def load_command(name: str) -> Any:
    """The real command ``name`` (importing its module)."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    is_group = isinstance(target, typer.Typer)
    if not is_group:
        single = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
        single.command(name)(target)
        target = single
    # a group of commands stays a group even when it has one (labels suspects)
    command = typer.main.get_group(target) if is_group else typer.main.get_command(target)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists every command from :data:`COMMANDS` and loads one when it is run."""

    # (typer ships its own copy of click: its types are typer's, hence Any here)
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        # The listing in `imgsearch --help` needs only a name and a line.
        return TyperCommand(cmd_name, help=COMMANDS[cmd_name].summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.add_command(load_command(args[0]), args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="imgsearch",
    cls=LazyGroup,
    help="Multi-modal image search: vectorize, index and search images by text, image or region.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        import importlib.metadata

        typer.echo(f"imgsearch {importlib.metadata.version('imgsearch')}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print imgsearch's version and exit.",
    ),
) -> None:
    """Multi-modal image search: vectorize, index and search images by text, image or region."""


@functools.cache
def _command() -> Any:
    """The click command behind :data:`app`, built once per process: ``app()`` rebuilds it
    (and every command it has loaded) on each call, which a daemon makes many of."""
    return typer.main.get_command(app)


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
        # IMGSEARCH_CONFIG's settings, as the variables they stand for (imgsearch.config)
        os.environ.update(with_config_file(os.environ))
        if os.environ.get("IMGSEARCH_PLUGINS"):
            from imgsearch.models.registry import load_plugins

            load_plugins(os.environ["IMGSEARCH_PLUGINS"])
        _command()(args=argv, prog_name="imgsearch")
    except ImgsearchError as error:
        # Messages hold file names: printed as text, never read as Rich markup.
        stderr.print(Text.assemble(("error:", "bold red"), " ", shown(error.message)))
        hint = cli_hint(error)
        if hint:
            stderr.print(Text.assemble(("hint:", "dim"), " ", hint))
        sys.exit(exit_code(error))
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
