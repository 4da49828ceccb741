"""The filter options that ``imgsearch search`` and ``imgsearch browse`` share, declared
once so that both spell and explain them the same way, and the :class:`Filters` they make."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from imgsearch.errors import InvalidQuery
from imgsearch.kinds import NAMES
from imgsearch.query.dates import parse_time
from imgsearch.store import Filters

UnderOption = typer.Option([], "--under", help="Only images in this folder; repeatable.")
AfterOption = typer.Option(None, "--after", help="Taken on/after DATE (YYYY-MM-DD).")
BeforeOption = typer.Option(None, "--before", help="Taken before DATE (YYYY-MM-DD).")
FormatOption = typer.Option([], "--format", help="Only this format (jpeg, png …).")
MinWidthOption = typer.Option(None, "--min-width", min=1)
MinHeightOption = typer.Option(None, "--min-height", min=1)
MediaOption = typer.Option(
    "all", "--media", help=f"{', '.join(NAMES)} or all: which kind of item may match."
)
ContainsTextOption = typer.Option(
    [],
    "--contains-text",
    help="Only pictures whose read text (imgsearch index --ocr) contains TEXT, ignoring "
    "case, accents, spaces and punctuation (a part of a word matches too); repeatable: all "
    "must appear.",
)
TagOption = typer.Option(
    [],
    "--tag",
    help="Only pictures tagged TAG, by you (imgsearch annotate) or automatically (imgsearch "
    "tags); repeatable: any of them.",
)
MinRatingOption = typer.Option(
    None,
    "--min-rating",
    min=-1,
    max=5,
    help="Only pictures rated at least this (0–5 stars, -1 rejected) in their XMP metadata.",
)
NotTagOption = typer.Option(
    [], "--not-tag", help="Only pictures not tagged TAG (yours or automatic); repeatable."
)


def filters_from(
    *,
    under: Sequence[Path],
    after: str | None,
    before: str | None,
    formats: Sequence[str],
    min_width: int | None,
    min_height: int | None,
    media: str,
    contains_text: Sequence[str],
    tags: Sequence[str],
    not_tags: Sequence[str] = (),
    min_rating: int | None = None,
) -> Filters:
    """The filters the options describe (folders resolved as the index stores paths)."""
    if media not in (*NAMES, "all"):
        raise InvalidQuery(f"--media {media!r} is not {', '.join(NAMES)} or all")
    return Filters(
        under=tuple(str(p.expanduser().resolve()) for p in under),
        after=None if after is None else parse_time(after, "--after"),
        before=None if before is None else parse_time(before, "--before"),
        formats=tuple(formats),
        min_width=min_width,
        min_height=min_height,
        media=None if media == "all" else media,
        contains_text=tuple(contains_text),
        tags=tuple(tags),
        not_tags=tuple(not_tags),
        min_rating=min_rating,
    )
