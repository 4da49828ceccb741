"""From /v1 request bodies to the library's queries: images fetched or decoded from
base64, parts, filters, dates — the translation that the handlers share."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from imgsearch.errors import InvalidQuery
from imgsearch.query.dates import day_seconds
from imgsearch.query.expression import Query, QueryPart
from imgsearch.query.grammar import Term, parse_terms
from imgsearch.server.errors import ApiError
from imgsearch.server.fetch import FetchError
from imgsearch.server.schemas import MAX_PARTS, MAX_WEIGHT, FiltersIn, ImageIn, PartIn, SearchIn
from imgsearch.server.service import ImageInput, Service
from imgsearch.store import Filters
from imgsearch.types import Box

log = logging.getLogger("imgsearch.server")


def seconds(day: dt.date | None) -> float | None:
    """Local midnight of ``day`` in POSIX seconds, as the command line reads a date
    (:mod:`imgsearch.query.dates`)."""
    return None if day is None else day_seconds(day)


def filters_of(given: FiltersIn | None) -> Filters:
    f = given or FiltersIn()
    return Filters(
        under=tuple(f.under),
        after=seconds(f.after),
        before=seconds(f.before),
        formats=tuple(f.formats),
        min_width=f.min_width,
        min_height=f.min_height,
        media=None if f.media == "all" else f.media,
        contains_text=tuple(f.contains_text),
        tags=tuple(f.tags),
        not_tags=tuple(f.not_tags),
        min_rating=f.min_rating,
    )


def one_source(item: ImageIn) -> None:
    given = [item.image_id is not None, item.image_url is not None, item.image_base64 is not None]
    if sum(given) != 1:
        raise ApiError(
            400, "InvalidQuery", "an image is exactly one of image_id, image_url, image_base64"
        )


async def fetch_all(service: Service, items: Sequence[ImageIn]) -> dict[str, bytes]:
    """The images of ``items`` given by URL, fetched concurrently (once each), after every
    item was checked to name exactly one image."""
    for item in items:
        one_source(item)
    urls = list(dict.fromkeys(i.image_url for i in items if i.image_url is not None))
    fetched = await asyncio.gather(*(_fetched(service, url) for url in urls))
    return dict(zip(urls, fetched, strict=True))


async def _fetched(service: Service, url: str) -> bytes:
    try:
        return await service.fetch(url)
    except FetchError as error:
        log.info("image URL not fetched: %s", error.reason)  # the detail stays here
        raise ApiError(
            400,
            "InvalidImageUrl",
            "the image URL is not accessible: it must be a public http(s) address of an "
            "image of at most 20 MB",
        ) from None


def image_part(item: ImageIn, downloads: dict[str, bytes], weight: float = 1.0) -> QueryPart:
    """The query part ``item`` names (a URL's bytes come from ``downloads``)."""
    one_source(item)
    box = Box(**item.box.model_dump()) if item.box else None
    if item.image_id is not None:
        return QueryPart(image_id=item.image_id, box=box, weight=weight)
    if item.image_url is not None:
        return QueryPart(image_data=downloads[item.image_url], box=box, weight=weight)
    try:
        data = base64.b64decode(item.image_base64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "InvalidImage", "image_base64 is not valid base64") from None
    if not data:
        raise ApiError(400, "InvalidImage", "the image is empty")
    return QueryPart(image_data=data, box=box, weight=weight)


def with_expression(body: SearchIn) -> tuple[SearchIn, list[Term]]:
    """``body`` with the parts of its ``q`` first among its parts, and those parts as read.

    ``q`` is read by the library's grammar without touching the disk: a URL becomes an
    ``image_url`` part (fetched with every check), an image path is refused (no request
    path reaches the filesystem)."""
    terms = parse_terms(body.q or "", files=False)
    parts = []
    for term in terms:
        if term.image and not term.url:
            raise InvalidQuery(
                f"{term.term!r} in q is an image path, and the server reads no paths",
                hint="send the image as a part: image_base64, image_url or image_id",
            )
        if not abs(term.weight) <= MAX_WEIGHT:
            raise InvalidQuery(f"the weight of {term.term!r} is beyond ±{MAX_WEIGHT:g}")
        field = "image_url" if term.url else "text"
        parts.append(PartIn(**{field: term.term, "weight": term.weight}))
    if len(parts) + len(body.parts) > MAX_PARTS:
        raise InvalidQuery(f"{len(parts) + len(body.parts)} parts; at most {MAX_PARTS}")
    return body.model_copy(update={"q": None, "parts": parts + body.parts}), terms


def query_of(body: SearchIn, downloads: dict[str, bytes]) -> Query:
    parts = [QueryPart(text=body.text)] if body.text is not None else []
    for part in body.parts:
        image = part.image_id is not None or part.image_url or part.image_base64 or part.box
        if part.region_id is not None:
            if part.text is not None or image:
                raise ApiError(400, "InvalidQuery", "a region part names a region only")
            parts.append(QueryPart(region_id=part.region_id, weight=part.weight))
        elif part.text is None:
            parts.append(image_part(part, downloads, part.weight))
        elif image:
            raise ApiError(400, "InvalidQuery", "a part is either a text or an image, not both")
        else:
            parts.append(QueryPart(text=part.text, weight=part.weight))
    parts += [QueryPart(text=text, weight=-1.0) for text in body.not_]
    options: dict[str, Any] = {
        "top": body.top,
        "offset": body.offset,
        "filters": filters_of(body.filters),
        "regions": body.regions,
        "labels": tuple(body.labels),
        "sources": tuple(body.sources),
        "objects": body.objects,
        "min_confidence": body.min_confidence,
    }
    if body.metadata_weight is not None:
        options["metadata_weight"] = body.metadata_weight
    return Query(tuple(parts), **options)


def image_vectors(
    service: Service, items: list[ImageIn], downloads: dict[str, bytes]
) -> list[list[float]]:
    """The vectors of ``items`` in order: stored ones for whole indexed images, the rest
    decoded and embedded together."""
    vectors: list[list[float]] = [[] for _ in items]
    to_embed: list[tuple[int, ImageInput, Box | None]] = []
    for slot, item in enumerate(items):
        part = image_part(item, downloads)
        if part.image_id is not None:
            record = service.get(part.image_id)
            if part.box is None:
                vectors[slot] = service.index.vectors([record.id])[0].tolist()
                continue
            to_embed.append((slot, record, part.box))
        else:
            assert part.image_data is not None
            to_embed.append((slot, part.image_data, part.box))
    if to_embed:
        embedded = service.embed_images([i for _, i, _ in to_embed], [b for _, _, b in to_embed])
        for (slot, _, _), vector in zip(to_embed, embedded, strict=True):
            vectors[slot] = vector.tolist()
    return vectors
