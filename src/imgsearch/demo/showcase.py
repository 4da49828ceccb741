"""The queries ``imgsearch demo`` runs, each with the labels that say whether a hit is right.

They are chosen from the collection itself (an example image, a box around
one object of a busy image), so they work for any seed and size.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from imgsearch.demo.collection import Collection, LabeledImage
from imgsearch.query.expression import QueryPart
from imgsearch.types import Box


@dataclass(frozen=True)
class DemoQuery:
    title: str
    arguments: str  # the same query's ``imgsearch`` arguments on the command line
    parts: tuple[QueryPart, ...]
    wanted: str  # what a right hit shows, in words
    is_right: Callable[[LabeledImage], bool]


def demo_queries(collection: Collection) -> list[DemoQuery]:
    queries = [_text("red circle"), _text("blue star")]
    example = _first(collection, lambda im: len(im.objects) == 1, "green hexagon")
    if example is not None:
        name = example.objects[0].name
        queries.append(
            DemoQuery(
                f"image: {example.path.name} (one {name})",
                f"search --image {shlex.quote(str(example.path))}",
                (QueryPart(image=str(example.path)),),
                f"a {name}",
                lambda im: im.contains(name),
            )
        )
    busy = _first(collection, lambda im: len(im.objects) >= 2, "blue star")
    if busy is not None:
        target = next((o for o in busy.objects if o.name == "blue star"), busy.objects[0])
        others = ", ".join(o.name for o in busy.objects if o is not target)
        coordinates = ",".join(map(str, target.box))
        queries.append(
            DemoQuery(
                f"region: box {coordinates} around the {target.name} in {busy.path.name} "
                f"(which also shows: {others})",
                f"search --image {shlex.quote(str(busy.path))} --box {coordinates}",
                (QueryPart(image=str(busy.path), box=Box(*target.box)),),
                f"a {target.name}",
                lambda im: im.contains(target.name),
            )
        )
    queries.append(
        DemoQuery(
            'combined: "red circle" --not "square"',
            'search "red circle" --not "square"',
            (QueryPart(text="red circle"), QueryPart(text="square", weight=-1.0)),
            "a red circle and no square",
            lambda im: im.contains("red circle") and not im.contains("square"),
        )
    )
    queries.append(
        DemoQuery(
            'combined: "yellow triangle" + "purple cross"',
            'search \'"yellow triangle" + "purple cross"\'',
            (QueryPart(text="yellow triangle"), QueryPart(text="purple cross")),
            "a yellow triangle or a purple cross (both: best)",
            lambda im: im.contains("yellow triangle") or im.contains("purple cross"),
        )
    )
    return queries


def _text(query: str) -> DemoQuery:
    return DemoQuery(
        f'text: "{query}"',
        f'search "{query}"',
        (QueryPart(text=query),),
        f"a {query}",
        lambda im: im.contains(query),
    )


def _first(
    collection: Collection, shape_of: Callable[[LabeledImage], bool], name: str
) -> LabeledImage | None:
    """The first image that fits ``shape_of`` and holds ``name`` (else any that fits)."""
    fitting = [im for im in collection.images if shape_of(im)]
    return next((im for im in fitting if im.contains(name)), fitting[0] if fitting else None)
