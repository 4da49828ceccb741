"""``GET /v1/duplicates``: groups of exact and near-duplicate pictures (only a report;
the API deletes nothing). Folders are matched against indexed paths as text — the
request never reaches the filesystem."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Query as QueryParam

from imgsearch.duplicates.score import DEFAULT_MIN_CONFIDENCE
from imgsearch.server.api import ServiceDep
from imgsearch.server.errors import ApiError, error_responses

router = APIRouter(prefix="/v1", tags=["imgsearch"], responses=error_responses(400, 401, 403, 429))
"""Included by the app with the API-key check as a dependency of every route."""

MAX_GROUPS_PER_REQUEST = 1000
"""Groups one response lists at most (largest first); ``group_count`` counts them all."""
WAIT_S = 60.0
"""Reports are computed one at a time (each holds all of the index's vectors in memory):
a request waits this long for the ones before it, then gets 429 Busy."""
RETRY_S = 5
"""The Retry-After of that 429, in seconds."""
MAX_FOLDER_CHARS = 1024
"""One folder, this long at most: percent-encoded it stays inside the 16 KB request line
the HTTP server accepts (more folders: ``imgsearch duplicates --under`` or Python)."""


@router.get(
    "/duplicates",
    summary="Groups of copies: the same bytes, or resized, re-encoded, cropped, "
    "colour-adjusted or turned pictures (a report; nothing is deleted)",
    responses=error_responses(422),
)
def duplicates(
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
) -> dict[str, Any]:
    folders = [] if under is None else [under]
    if not service.duplicates_running.acquire(timeout=WAIT_S):
        raise ApiError(
            429,
            "Busy",
            f"duplicates reports for other requests took the last {WAIT_S:.0f} s; "
            f"retry in {RETRY_S} s",
            headers={"Retry-After": str(RETRY_S)},
        )
    try:
        report = service.index.duplicates(under=folders, min_confidence=min_confidence, limit=limit)
    finally:
        service.duplicates_running.release()
    return report.to_dict()
