"""``imgsearch tags``: automatic (zero-shot) tags — the vocabulary an index tags with,
tagging the pictures not tagged yet, and the tags of a collection with their counts (see
:mod:`imgsearch.tags`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from imgsearch.cli.filter_options import (
    AfterOption,
    BeforeOption,
    ContainsTextOption,
    FormatOption,
    MediaOption,
    MinHeightOption,
    MinWidthOption,
    NotTagOption,
    TagOption,
    UnderOption,
    filters_from,
)
from imgsearch.cli.options import IndexOption, ModelOption, PrecisionOption, open_index
from imgsearch.cli.shown import shown
from imgsearch.errors import InvalidQuery
from imgsearch.tags.vocabulary import TagVocabulary, read_tag_file

app = typer.Typer(
    help="Automatic tags: what each picture shows, from a vocabulary.", no_args_is_help=True
)
vocabulary_app = typer.Typer(
    help="The phrases an index tags its pictures with.", no_args_is_help=True
)
app.add_typer(vocabulary_app, name="vocabulary")
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _progress(done: int, total: int) -> None:
    err.print(f"tagged {done:,} of {total:,} pictures", markup=False)


@app.command("run")
def run(
    again: bool = typer.Option(
        False, "--all", help="Tag every picture again, not only those not tagged yet."
    ),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Tag the pictures not tagged yet (index runs do it too), from their stored vectors."""
    with open_index(index_path, model, precision) as opened:
        report = opened.tag(again=again, on_progress=_progress)
        done, total = opened.tag_progress()
    if not report.text:
        err.print("the index's model embeds images only: it cannot be asked for tags")
        raise typer.Exit(1)
    if not report.judged:
        err.print("too few pictures to judge what a match is (under 32): nothing tagged")
        raise typer.Exit(1)
    print(
        f"tagged {report.tagged:,} pictures with {report.tags_given:,} tags in "
        f"{report.seconds:.1f} s; {done:,} of {total:,} pictures tagged"
    )


@app.command("list")
def list_tags(
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
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """The tags of the pictures the filters allow, automatic and the user's own, with how
    many pictures carry each (most first, at most 200 of each)."""
    filters = filters_from(
        under=under, after=after, before=before, formats=formats, min_width=min_width,
        min_height=min_height, media=media, contains_text=contains_text, tags=tags,
        not_tags=not_tags,
    )  # fmt: skip
    with open_index(index_path, model, precision) as opened:
        facets = opened.facets(filters=filters)
    counted = {
        "automatic": list(facets.auto_tags),
        "own": list(facets.tags),
        "keywords": list(facets.keywords),
    }
    if as_json:
        listed = {
            kind: [{"tag": tag, "count": n} for tag, n in values]
            for kind, values in counted.items()
        }
        sys.stdout.write(json.dumps({"total": facets.total, **listed}) + "\n")
        return
    console = Console(highlight=False)
    console.print(f"{facets.total:,} items")
    titled = (
        ("automatic tags", counted["automatic"]),
        ("own tags", counted["own"]),
        ("keywords from the archive (XMP, IPTC)", counted["keywords"]),
    )
    for title, values in titled:
        if not values:
            console.print(f"no {title}")
            continue
        table = Table(box=None, pad_edge=False, title=title, title_justify="left")
        table.add_column("count", justify="right", no_wrap=True)
        table.add_column("tag", overflow="fold")
        for tag, n in values:
            table.add_row(Text(f"{n:,}"), Text(shown(tag)))  # collection strings: never markup
        console.print(table)


def _show(vocabulary: TagVocabulary, tagged: int, total: int) -> None:
    state = "on" if vocabulary.enabled else "off (index runs do not tag)"
    print(f"vocabulary: {len(vocabulary.tags)} phrases ({vocabulary.origin}); tagging {state}")
    print(f"asked as: {vocabulary.template!r}; a tag needs confidence ≥ {vocabulary.threshold:g}")
    print(f"pictures tagged: {tagged:,} of {total:,}")


@vocabulary_app.command("show")
def show(
    as_json: bool = typer.Option(False, "--json", help="Print the vocabulary as JSON."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """The phrases, how each is asked, the confidence a tag needs, and what is tagged."""
    with open_index(index_path, model, precision) as opened:
        vocabulary = opened.tag_vocabulary()
        tagged, total = opened.tag_progress()
    if as_json:
        sys.stdout.write(json.dumps(vocabulary.as_dict()) + "\n")
        return
    _show(vocabulary, tagged, total)
    for tag in vocabulary.tags:
        print(f"  {shown(tag)}")


def _change(
    index_path: str | None,
    model: str | None,
    precision: str | None,
    change: Callable[[TagVocabulary], TagVocabulary | None],
) -> None:
    """Apply ``change`` to the index's vocabulary (``None``: back to the default)."""
    with open_index(index_path, model, precision) as opened:
        forgotten = opened.set_tag_vocabulary(change(opened.tag_vocabulary()))
        vocabulary = opened.tag_vocabulary()
        tagged, total = opened.tag_progress()
    _show(vocabulary, tagged, total)
    if forgotten:
        print(f"{forgotten:,} pictures lose their automatic tags until `imgsearch tags run`")


@vocabulary_app.command("add")
def add(
    tags: list[str] = typer.Argument(..., help="Phrases to tag with."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Add phrases to the vocabulary (the default one becomes the index's own)."""
    _change(index_path, model, precision, lambda v: v.with_tags([*v.tags, *tags]))


@vocabulary_app.command("remove")
def remove(
    tags: list[str] = typer.Argument(..., help="Phrases to stop tagging with."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Remove phrases from the vocabulary."""

    def without(vocabulary: TagVocabulary) -> TagVocabulary:
        unknown = [t for t in tags if t.strip() not in vocabulary.tags]
        if unknown:
            raise InvalidQuery(f"not in the vocabulary: {', '.join(map(repr, unknown))}")
        return vocabulary.with_tags(
            t for t in vocabulary.tags if t not in {x.strip() for x in tags}
        )

    _change(index_path, model, precision, without)


@vocabulary_app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="One phrase per line; # starts a comment."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Replace the vocabulary's phrases with those of FILE."""
    try:
        lines = file.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidQuery(f"cannot read {file}: {exc}") from None
    phrases = read_tag_file(lines)
    if not phrases:
        raise InvalidQuery(f"{file} holds no phrases", hint="one phrase per line")
    _change(index_path, model, precision, lambda v: v.with_tags(phrases))


@vocabulary_app.command("set")
def set_options(
    template: str | None = typer.Option(
        None, "--template", help='How a phrase is asked, {} for the phrase ("a photo of a {}.").'
    ),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Least confidence a picture needs to get a tag (0–1]."
    ),
    enabled: bool | None = typer.Option(
        None, "--on/--off", help="Whether index runs tag the pictures they add."
    ),
    default: bool = typer.Option(
        False, "--default", help="Go back to the model's default vocabulary."
    ),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Change how phrases are asked, the threshold, or whether index runs tag."""
    if default:
        if template is not None or threshold is not None or enabled is not None:
            raise InvalidQuery("--default takes no other option")
        _change(index_path, model, precision, lambda v: None)
        return
    if template is None and threshold is None and enabled is None:
        raise InvalidQuery(
            "nothing to set", hint="give --template, --threshold, --on/--off or --default"
        )

    def changed(v: TagVocabulary) -> TagVocabulary:
        return replace(
            v,
            template=v.template if template is None else template,
            threshold=v.threshold if threshold is None else threshold,
            enabled=v.enabled if enabled is None else enabled,
        )

    _change(index_path, model, precision, changed)


@app.command("evaluate")
def evaluate(
    labels: Path = typer.Argument(
        ...,
        help='Your labels: JSON lines {"image": id or path, "tags": [...]}, or an annotation '
        "file (COCO, YOLO, Pascal VOC: a picture's tags are its boxes' labels).",
    ),
    roots: list[Path] = typer.Option(
        [], "--root", help="The indexed folder an annotation file's names are relative to."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """How right the automatic tags are against your labels: precision and recall at the
    threshold, and average precision per phrase (only the phrases your labels use)."""
    with open_index(index_path, model, precision) as opened:
        result = opened.evaluate_tags(labels, [str(root) for root in roots])
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
        return
    print(
        f"{result.pictures:,} labelled pictures, {len(result.phrases)} phrases judged: precision "
        f"{result.precision:.3f}, recall {result.recall:.3f}, mAP "
        f"{result.mean_average_precision:.3f}"
    )
    console = Console(highlight=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("average precision", justify="right", no_wrap=True)
    table.add_column("phrase", overflow="fold")
    for tag, ap in sorted(result.average_precision.items(), key=lambda pair: pair[1]):
        table.add_row(f"{ap:.3f}", Text(shown(tag)))
    console.print(table)


@app.command("write-sidecars")
def write_sidecars(
    auto: float | None = typer.Option(
        None,
        "--auto",
        help="Also write the automatic tags of at least this confidence (0–1], e.g. 0.8.",
    ),
    naming: str = typer.Option(
        "darktable",
        "--naming",
        help="darktable: photo.jpg.xmp (digiKam's default too); lightroom: photo.xmp.",
    ),
    under: list[Path] = UnderOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be written."),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
) -> None:
    """Write captions and tags into XMP sidecars beside the pictures (merged with what a
    sidecar holds; the pictures themselves are never changed), for digiKam, darktable,
    Lightroom and exiftool to read."""
    filters = filters_from(
        under=under, after=None, before=None, formats=[], min_width=None, min_height=None,
        media="all", contains_text=[], tags=[],
    )  # fmt: skip
    with open_index(index_path, model, precision) as opened:
        report = opened.write_sidecars(
            filters=filters, auto_min_confidence=auto, naming=naming, dry_run=dry_run
        )
    for path, why in report.failed:
        err.print(f"{shown(path)}: {why}", markup=False)
    verb = "would write" if dry_run else "wrote"
    print(
        f"{verb} {report.written:,} sidecars; {report.unchanged:,} already up to date; "
        f"{report.nothing:,} items with nothing to write; {len(report.failed):,} failed"
    )
    if report.failed:
        raise typer.Exit(1)
