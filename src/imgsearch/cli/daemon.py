"""``imgsearch daemon``: keep one index and its model loaded; ``imgsearch search`` on that
index asks it instead of loading them (see :mod:`imgsearch.cli.resident`)."""

from __future__ import annotations

import os
import time

from rich.console import Console
from rich.text import Text

from imgsearch.cli.options import IndexOption, ModelOption, PrecisionOption, model_settings
from imgsearch.cli.resident.address import index_key
from imgsearch.cli.resident.answering import Identity, run_daemon
from imgsearch.config import default_index_dir
from imgsearch.errors import IndexNotFound
from imgsearch.index import Index


def daemon(
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Keep an index and its model loaded, so `imgsearch search` on it answers in milliseconds.

    Runs in the foreground until Ctrl-C or SIGTERM; one line per answered call. Searches
    naming this index (and its model, or the one given here) are answered by it, with
    the same output and exit status; any other call, or any call when it is not running,
    runs as usual. IMGSEARCH_RESIDENT=off makes a call ignore it.
    """
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    # The very sessions a one-shot `imgsearch search` starts (no weight prepacking): a
    # prepacked session's sums differ in the last bits, and the answers must be the same.
    settings = model_settings(model, precision, one_shot=True)
    location = index_path if index_path is not None else str(default_index_dir(os.environ))
    with Index.open(location, model=settings, create=False) as index:
        bound = index.settings
        if bound is None and settings.name is None:  # no model to load but the default
            raise IndexNotFound(
                f"the index at {index.location} is empty: nothing was indexed into it yet"
            )
        encoder = index.encoder  # loads the model now, and checks it fits the index
        identity = Identity(
            key=index_key(index_path, os.environ),
            model=settings.name or (bound.source if bound else ""),
            precision=settings.precision,
            model_id=encoder.model_id,
        )

        def ready(socket: object) -> None:
            console.print(
                Text(
                    f"imgsearch daemon: answering searches of {identity.key} with "
                    f"{identity.model or encoder.model_id} at {socket} (Ctrl-C stops)"
                )
            )

        def log(line: str) -> None:
            console.print(Text(f"{time.strftime('%H:%M:%S')} {line}"))

        try:
            run_daemon(index, identity, log, ready)
        except KeyboardInterrupt:
            console.print("stopped")
