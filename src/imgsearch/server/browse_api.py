"""``POST /v1/browse``: the collection without a query — a page of its items newest first
(or oldest first, or by path) under the search's own filters, and on request the counts
by folder, month, tag, label and kind that a browser shows beside them."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StrictBool, StrictInt

from imgsearch.server.api import ServiceDep
from imgsearch.server.errors import error_responses
from imgsearch.server.outputs import image_out
from imgsearch.server.previews import MAX_PREVIEWS, Preprocessing, previews
from imgsearch.server.requests import filters_of
from imgsearch.server.schemas import FiltersIn, ImageOut, Label
from imgsearch.store import Filters
from imgsearch.store.browsing import MAX_LABELS, MAX_PAGE

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""


class BrowseIn(BaseModel):
    filters: FiltersIn | None = None
    labels: list[Label] = Field(
        default_factory=list,
        max_length=MAX_LABELS,
        description="Only pictures with a box (region) of one of these labels.",
    )
    order: Literal["newest", "oldest", "path"] = Field(
        "newest",
        description="newest / oldest: by capture time (EXIF), else the file's modification "
        "time; path: by folder and name.",
    )
    top: StrictInt = Field(50, ge=1, le=MAX_PAGE)
    offset: StrictInt = Field(0, ge=0, le=2**31 - 1)
    facets: StrictBool = Field(
        False, description="Also count what the filters allow by folder, month, tag, label, kind."
    )
    previews: StrictInt = Field(
        0,
        ge=0,
        le=MAX_PREVIEWS,
        description="Give the first this many still pictures a `preview` (an inline "
        "placeholder image to paint while the thumbnail loads).",
    )


class Counted(BaseModel):
    count: int


class FolderCount(Counted):
    folder: str


class MonthCount(Counted):
    month: str = Field(description="YYYY-MM in the server's time zone.")


class TagCount(Counted):
    tag: str


class LabelCount(Counted):
    label: str


class KindCount(Counted):
    kind: str


class FacetsOut(BaseModel):
    total: int
    base: str = Field(description="The folder whose subfolders `folders` counts.")
    here: int = Field(description="Items directly in `base`.")
    folders: list[FolderCount]
    months: list[MonthCount] = Field(description="Oldest first.")
    tags: list[TagCount]
    labels: list[LabelCount] = Field(description="Pictures with a box of the label.")
    kinds: list[KindCount]
    auto_tags: list[TagCount] = Field(
        default_factory=list, description="Automatic (zero-shot) tags, most frequent first."
    )
    keywords: list[TagCount] = Field(
        default_factory=list,
        description="Keywords from the items' XMP and IPTC metadata, most frequent first "
        "(they filter as tags: `filters.tags`).",
    )


class BrowseOut(BaseModel):
    total: int = Field(description="Items the filters allow, in all.")
    offset: int
    order: str
    items: list[ImageOut]
    facets: FacetsOut | None = None


@router.post(
    "/browse",
    response_model=BrowseOut,
    response_model_exclude_none=False,
    summary="The collection without a query: newest first, by filters, with counts",
    responses=error_responses(422),
)
async def browse(body: BrowseIn, service: ServiceDep) -> dict[str, Any]:
    filters = filters_of(body.filters)
    index = service.index
    model = Preprocessing.of(service.encoder.preprocessing)

    def read() -> dict[str, Any]:
        page = index.browse(
            filters, labels=body.labels, order=body.order, limit=body.top, offset=body.offset
        )
        facets = index.facets(filters, labels=body.labels).as_dict() if body.facets else None
        stills = [record for record in page.items if record.kind == "image"]
        inline = previews(index, stills, body.previews, model) if body.previews else {}
        tagged = index.auto_tags([record.id for record in page.items])
        items = [
            image_out(record, preview=inline.get(record.id), auto_tags=tagged.get(record.id))
            for record in page.items
        ]
        return {
            "total": page.total,
            "offset": page.offset,
            "order": page.order,
            "items": items,
            "facets": facets,
        }

    return await run_in_threadpool(read)


class TagsOut(BaseModel):
    total: int = Field(description="Items with a vector in the collection.")
    tagged: int = Field(description="Of them, how many have their automatic tags yet.")
    vocabulary: dict[str, Any] = Field(
        description="The phrases tagged with (`tags`), how each is asked (`template`), the "
        "confidence a tag needs (`threshold`), where they come from (`origin`), and whether "
        "index runs tag (`enabled`)."
    )
    automatic: list[TagCount] = Field(description="Automatic tags, most frequent first.")
    own: list[TagCount] = Field(description="Users' own tags, most frequent first.")
    keywords: list[TagCount] = Field(
        description="Keywords from the items' XMP and IPTC metadata, most frequent first."
    )


@router.get(
    "/tags",
    response_model=TagsOut,
    summary="The collection's tags: automatic and users' own, with counts, and the vocabulary",
)
async def tags(service: ServiceDep) -> dict[str, Any]:
    """Counts over the whole collection (``POST /v1/browse`` with ``"facets": true`` counts
    them under any filters)."""
    index = service.index

    def read() -> dict[str, Any]:
        facets = index.facets(Filters())
        tagged, total = index.tag_progress()
        return {
            "total": total,
            "tagged": tagged,
            "vocabulary": index.tag_vocabulary().as_dict(),
            "automatic": [{"tag": t, "count": n} for t, n in facets.auto_tags],
            "own": [{"tag": t, "count": n} for t, n in facets.tags],
            "keywords": [{"tag": t, "count": n} for t, n in facets.keywords],
        }

    return await run_in_threadpool(read)
