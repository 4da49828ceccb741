"""``GET /v1/duplicates``: groups of exact and near-duplicate pictures (only a report;
the API deletes nothing). Folders are matched against indexed paths as text — the
request never reaches the filesystem."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Query as QueryParam
from fastapi.responses import JSONResponse

from imgsearch.duplicates.score import DEFAULT_MIN_CONFIDENCE
from imgsearch.server.api import ServiceDep
from imgsearch.server.errors import error_responses
from imgsearch.server.reports import MAX_REPORTED_GROUPS

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

MAX_GROUPS_PER_REQUEST = MAX_REPORTED_GROUPS
"""Groups one response lists at most (largest first); ``group_count`` counts them all."""
READY_WAIT_S = 2.0
"""How long a request waits for its report before it is answered with the job's state
(without holding a thread: the report is made on one of its own)."""
RETRY_S = 2
"""The Retry-After of an unfinished report, in seconds."""
MAX_FOLDER_CHARS = 1024
"""One folder, this long at most: percent-encoded it stays inside the 16 KB request line
the HTTP server accepts (more folders: ``imgsearch duplicates --under`` or Python)."""


@router.get(
    "/duplicates",
    summary="Groups of copies: the same bytes, or resized, re-encoded, cropped, "
    "colour-adjusted or turned pictures (a report; nothing is deleted)",
    responses={
        202: {"description": "The report is being made: its state; ask again (Retry-After)."},
        **error_responses(422),
    },
)
async def duplicates(
    service: ServiceDep,
    min_confidence: float = QueryParam(
        DEFAULT_MIN_CONFIDENCE,
        gt=0,
        lt=1,
        description="Link two pictures when the confidence that one is a copy of the "
        "other reaches this.",
    ),
    under: Annotated[
        str | None,
        QueryParam(
            max_length=MAX_FOLDER_CHARS,
            description="Only pictures under this folder (absolute, as indexed).",
        ),
    ] = None,
    limit: int = QueryParam(100, ge=1, le=MAX_GROUPS_PER_REQUEST, description="Groups listed."),
) -> Any:
    """The report, made in the background (one at a time) and kept until the index
    changes. A large collection's first request gets ``202`` with the job's ``state``
    (``queued`` behind another report, or ``running``), its ``stage`` and ``seconds``;
    the same request later gets the report."""
    folders = [] if under is None else [under]
    job = await asyncio.to_thread(service.reports.request, folders, min_confidence)
    waited = 0.0
    while job.state == "running" and waited < READY_WAIT_S:
        await asyncio.sleep(0.05)
        waited += 0.05
    if job.state == "failed":
        if job.error is not None:
            raise job.error
        raise RuntimeError(f"the duplicates report failed: {job.failure}")
    if job.report is None:
        return JSONResponse(job.progress(), status_code=202, headers={"Retry-After": str(RETRY_S)})
    answer = job.report.to_dict()
    answer["groups"] = answer["groups"][:limit]
    return answer
