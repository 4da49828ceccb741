"""``/v1/selection/…``: what the page's selection bar does with many items at once —
export them (CSV, JSON lines, a COCO subset with their boxes), download them as one zip,
tag or caption them together. Items are named by id; files are read only as
``GET /v1/images/{id}/file`` reads them (under a root, still the file indexed)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StrictInt

from imgsearch.selection import (
    MAX_SELECTED,
    TagChange,
    annotate_many,
    export_coco,
    export_csv,
    export_json_lines,
    select,
)
from imgsearch.selection.archive import zip_chunks
from imgsearch.server import files
from imgsearch.server.api import ServiceDep
from imgsearch.server.errors import ApiError, error_responses
from imgsearch.server.schemas import MAX_ID, Tag, Text

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

MAX_ARCHIVE_BYTES = 8 * 2**30
"""The files one zip may hold together (8 GiB): a larger selection is refused (413)
before anything is sent."""


ItemId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class SelectedIn(BaseModel):
    ids: list[ItemId] = Field(
        min_length=1, max_length=MAX_SELECTED, description="Indexed items' ids, in order."
    )


class ExportIn(SelectedIn):
    format: Literal["csv", "json", "coco"] = Field(
        "csv", description="csv: a table; json: one object per line; coco: a COCO detection "
        "file of the pictures with their labelled boxes.",
    )  # fmt: skip


class AnnotateManyIn(SelectedIn):
    add_tags: list[Tag] = Field(default_factory=list, max_length=64)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=64)
    caption: Text | None = Field(
        None, description='Set on every item ("" removes it); null leaves each one\'s own.'
    )


EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/x-ndjson", "jsonl"),
    "coco": ("application/json", "coco.json"),
}


@router.post(
    "/selection/export",
    summary="Export the items named: CSV, JSON lines, or a COCO subset with their boxes",
    response_class=Response,
    responses={200: {"content": {m: {} for m, _ in EXPORTS.values()}}, **error_responses(422)},
)
async def export(body: ExportIn, service: ServiceDep) -> Response:
    ids = body.ids

    def write() -> str:
        selection = select(service.index, ids)
        if body.format == "csv":
            return export_csv(selection)
        if body.format == "json":
            return export_json_lines(selection)
        return json.dumps(export_coco(service.index, selection), ensure_ascii=False)

    media, suffix = EXPORTS[body.format]
    return Response(
        await run_in_threadpool(write),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="imgsearch-selection.{suffix}"'},
    )


@router.post(
    "/selection/archive",
    summary="The files of the items named, as one zip (names relative to their common folder)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, **error_responses(413, 422)},
)
async def archive(body: SelectedIn, service: ServiceDep) -> StreamingResponse:
    ids = body.ids
    selection = await run_in_threadpool(select, service.index, ids)
    total = sum(record.size for record in selection.records)
    if total > MAX_ARCHIVE_BYTES:
        raise ApiError(
            413, "ArchiveTooLarge",
            f"the selection holds {total / 2**30:.1f} GiB of files; one zip holds at most "
            f"{MAX_ARCHIVE_BYTES / 2**30:.0f} GiB",
        )  # fmt: skip
    roots = service.roots()
    entries = [(selection.name(record), record) for record in selection.records]
    return StreamingResponse(
        zip_chunks(entries, lambda record: files.open_indexed(record, roots)),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="imgsearch-selection.zip"'},
    )


@router.post(
    "/selection/annotate",
    summary="Add and remove tags on, or set the caption of, every item named",
    responses=error_responses(422),
)
async def annotate(body: AnnotateManyIn, service: ServiceDep) -> dict[str, Any]:
    ids = body.ids
    change = TagChange(tuple(body.add_tags), tuple(body.remove_tags), body.caption)

    def apply() -> dict[str, Any]:
        selection = select(service.index, ids)
        changed = annotate_many(service.index, selection, change)
        return {"changed": changed, "unchanged": len(selection.records) - changed,
                "missing": selection.missing}  # fmt: skip

    return await run_in_threadpool(apply)
