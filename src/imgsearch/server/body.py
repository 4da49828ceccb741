"""Reading request bodies within limits."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from imgsearch import json_input
from imgsearch.server.errors import ApiError


class BodyTooLarge(StarletteHTTPException):
    """A request body over a limit: the route's own, or the server's (``max_body_bytes``).

    An HTTP exception so that FastAPI passes it through when it is raised while
    reading a body it parses itself (it turns other errors into a generic 400).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit} bytes")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it passes ``limit`` bytes (the header is not trusted)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_json(body: bytes) -> Any:
    try:
        return json_input.parse(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "InvalidRequest", "the body is not valid JSON") from None
