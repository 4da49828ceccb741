"""``imgsearch search``: text, example image, region and mixed queries, with filters.

Output: a table on a terminal, ``--json`` (one object per hit) or ``--paths``
(one path per line) for pipes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.text import Text

from imgsearch.cli.filter_options import (
    AfterOption,
    BeforeOption,
    ContainsTextOption,
    FormatOption,
    MediaOption,
    MinHeightOption,
    MinRatingOption,
    MinWidthOption,
    NotTagOption,
    TagOption,
    UnderOption,
    filters_from,
)
from imgsearch.cli.hit_table import print_hits
from imgsearch.cli.options import IndexOption, ModelOption, PrecisionOption, open_index
from imgsearch.cli.shown import shown
from imgsearch.errors import InvalidQuery
from imgsearch.query.confidence import Judgement
from imgsearch.query.expression import (
    DEFAULT_METADATA_WEIGHT,
    Query,
    QueryPart,
    parse_expression,
)
from imgsearch.query.hits import hit_as_dict
from imgsearch.query.vocabulary import QueryVocabulary
from imgsearch.types import Box


def search(
    query: list[str] = typer.Argument(
        None,
        help='Text, image paths, or a mix: "2:golden retriever" + ./pool.jpg - grass',
    ),
    image: Path | None = typer.Option(None, "--image", "-i", help="Search by this example image."),
    box: str | None = typer.Option(
        None, "--box", help="Only this region x,y,w,h of --image / --like (pixels or fractions)."
    ),
    like: str | None = typer.Option(
        None, "--like", help="Find images similar to an indexed image (its id or path)."
    ),
    negative: list[str] = typer.Option([], "--not", help="Steer away from this text; repeatable."),
    top: int = typer.Option(10, "--top", "-n", min=1, help="How many hits."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many hits (paging)."),
    under: list[Path] = UnderOption,
    after: str | None = AfterOption,
    before: str | None = BeforeOption,
    formats: list[str] = FormatOption,
    min_width: int | None = MinWidthOption,
    min_height: int | None = MinHeightOption,
    media: str = MediaOption,
    contains_text: list[str] = ContainsTextOption,
    tags: list[str] = TagOption,
    not_tags: list[str] = NotTagOption,
    min_rating: int | None = MinRatingOption,
    metadata_weight: float = typer.Option(
        DEFAULT_METADATA_WEIGHT,
        "--metadata-weight",
        help="Share of the words (names, caption, tags, read text) in relevance, against "
        "the picture's: 0 = pictures only, 1 = words only.",
    ),
    whole: bool = typer.Option(
        False, "--whole", help="Compare whole images only, not the regions inside them."
    ),
    like_region: int | None = typer.Option(
        None, "--like-region", help="Search by a stored region (an object's box), by its id."
    ),
    labels: list[str] = typer.Option(
        [], "--label", help="Only regions with this label match (images that have one); repeatable."
    ),
    sources: list[str] = typer.Option(
        [], "--source", help="Only regions from annotation, detector, grid or frame; repeatable."
    ),
    objects: bool = typer.Option(
        False, "--objects", help="List regions (objects), one row per box, not images."
    ),
    exact: bool = typer.Option(
        False, "--exact", help="Scan every vector, even with an HNSW index."
    ),
    min_confidence: str | None = typer.Option(
        None,
        "--min-confidence",
        help="Drop hits less confident than P (0..1), so a query with no real match lists "
        "nothing; 'auto': drop those less likely a match than not. Default: no cut.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON lines."),
    paths_only: bool = typer.Option(False, "--paths", help="Print only paths, one per line."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Search the index by text, image, region or a weighted mix of them."""
    region = Box.parse(box) if box is not None else None
    if region is not None and image is None and like is None:
        raise InvalidQuery("--box needs --image or --like: the box is drawn on that image")
    with open_index(index_path, model, precision, one_shot=True) as opened:
        parts = parse_expression(query) if query else []
        if image is not None:
            parts.append(QueryPart(image=str(image), box=region))
        if like is not None:
            record = opened.get(int(like)) if like.isdigit() else opened.find(like)
            parts.append(QueryPart(image_id=record.id, box=region if image is None else None))
        if like_region is not None:
            parts.append(QueryPart(region_id=like_region))
        parts.extend(QueryPart(text=text, weight=-1.0) for text in negative)
        filters = filters_from(
            under=under,
            after=after,
            before=before,
            formats=formats,
            min_width=min_width,
            min_height=min_height,
            media=media,
            contains_text=contains_text,
            tags=tags,
            not_tags=not_tags,
            min_rating=min_rating,
        )
        hits = opened.search(
            Query(
                tuple(parts),
                filters=filters,
                top=top,
                offset=offset,
                metadata_weight=metadata_weight,
                exact=exact,
                regions=not whole,
                labels=tuple(labels),
                sources=tuple(sources),
                objects=objects,
                min_confidence=_confidence(min_confidence),
            )
        )
        _note_unknown(opened.encoder.model_id, hits.vocabulary)
    if (paths_only or as_json) and min_confidence is not None:  # a table says it below
        _note_judgement(hits.judgement)
    if paths_only:
        terminal = sys.stdout.isatty()  # a pipe gets the exact bytes, as ls does
        sys.stdout.write(
            "".join(f"{shown(h.image.path) if terminal else h.image.path}\n" for h in hits)
        )
    elif as_json:
        sys.stdout.write("".join(json.dumps(hit_as_dict(hit)) + "\n" for hit in hits))
    else:
        console = Console(highlight=False)
        if not console.is_terminal:  # a pipe or a file: whole lines, not folded at 80 columns
            console = Console(highlight=False, width=1000)
        print_hits(console, hits)


def _note_judgement(judgement: Judgement) -> None:
    """Say on stderr why the cut-off asked for was not applied (too few images to judge,
    a text filter)."""
    if judgement.note:
        Console(stderr=True, highlight=False, soft_wrap=True).print(Text(f"note: {judgement.note}"))


def _note_unknown(model: str, vocabulary: QueryVocabulary) -> None:
    """Say on stderr which words a closed-vocabulary model (``demo-shapes``) never saw."""
    if not vocabulary.unknown:
        return
    words = ", ".join(vocabulary.unknown)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if vocabulary.readable:
        err.print(Text(f"note: {model} never saw the words {words}; they only add noise"))
        return
    known = ", ".join(vocabulary.known)
    err.print(
        Text(
            f"note: {model} cannot read this query (it never saw the words {words}): "
            "every hit has confidence 0, and a cut-off keeps only hits found by their words. "
            f"The words it knows: {known}"
        )
    )


def _confidence(text: str | None) -> float | Literal["auto"] | None:
    if text is None:
        return None
    if text == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise InvalidQuery(
            f"--min-confidence {text!r} is not a number from 0 to 1",
            hint="write e.g. --min-confidence 0.8, or --min-confidence auto",
        )
    return value
