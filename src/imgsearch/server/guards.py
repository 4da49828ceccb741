"""What every request passes before any route sees it: host, origin, body size and pace.

Plain ASGI middlewares (Starlette's ``BaseHTTPMiddleware`` costs every request a
task and two memory streams), each answering with the JSON error envelope.

* **Host** (:class:`TrustedHosts`): a page on ``attacker.example`` whose name
  re-resolves to 127.0.0.1 (DNS rebinding) makes the victim's browser send
  ``Host: attacker.example`` to a server on loopback. Names must be trusted
  (``localhost`` and the ``trusted_hosts`` setting); IP-address hosts are always
  accepted, since no page can rebind an address.
* **Origin** (:class:`SameOriginWrites`): a cross-site page can make a browser
  POST a form (``/v1/index`` needs no body) without any CORS preflight. Requests
  other than GET/HEAD/OPTIONS that carry a browser's ``Origin`` must come from
  the server's own origin or a configured CORS origin; clients that send no
  ``Origin`` (curl, SDKs) are not browsers and pass.
* **Body** (:class:`LimitBody`): over ``max_body_bytes`` is refused, declared or
  chunked; a client that pauses longer than ``body_timeout`` mid-body, or whose body
  is not whole ``body_deadline`` seconds after it began, gets 408.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imgsearch.server.body import BodyTooLarge
from imgsearch.server.errors import ApiError, error_response

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class BodyTimeout(StarletteHTTPException):
    """The client paused sending its body, or took in all, longer than allowed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def host_name(host: str) -> str:
    """``host`` of a Host header or origin (``[::1]:8000`` → ``::1``), lower-case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class TrustedHosts:
    """Requests whose Host is a name must name a trusted host (``*``: any)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {host_name(host) for host in hosts}
        self.any = "*" in self.hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.any:
            host = _header(scope, b"host")
            name = host_name(host) if host else None
            if name is not None and not is_ip_address(name) and name not in self.hosts:
                error = ApiError(
                    400,
                    "UntrustedHost",
                    f"this server does not answer to the host name {name!r}; "
                    "add it to the trusted_hosts setting if it is yours",
                )
                await error_response(Request(scope), error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SameOriginWrites:
    """Browser requests that change or compute something must come from an allowed origin."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed = {origin.rstrip("/").lower() for origin in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            origin = _header(scope, b"origin")
            cross_site = _header(scope, b"sec-fetch-site") == "cross-site"
            if (origin is not None or cross_site) and not self._allowed(scope, origin):
                error = ApiError(
                    403,
                    "CrossOriginRequest",
                    "requests from another site's page are refused; "
                    "add its origin to the cors_origins setting if it is yours",
                )
                await error_response(Request(scope), error)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope, origin: str | None) -> bool:
        if origin is None or origin == "null":
            return False
        if origin.rstrip("/").lower() in self.allowed:
            return True
        host = _header(scope, b"host")
        return host is not None and urlsplit(origin).netloc.lower() == host.strip().lower()


class LimitBody:
    """Bodies over ``max_bytes`` are refused, whether their length is declared or not, and
    a body that stalls for ``timeout`` seconds, or is not whole ``deadline`` seconds after
    its first read, is abandoned (a byte every few seconds kept one going for ever).

    A declared length over the limit is answered before anything is read; a
    chunked body raises :class:`BodyTooLarge` from ``receive`` as soon as it
    passes the limit, so no route ever holds more. The timeout applies only
    while the body is incomplete: later ``receive`` calls wait for a disconnect
    as long as a response streams.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        too_large: Callable[[Request, BodyTooLarge], JSONResponse],
        deadline: float = math.inf,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.deadline = deadline
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = self.too_large(Request(scope), BodyTooLarge(self.max_bytes))
            await response(scope, receive, send)
            return
        received = 0
        complete = False
        ends: float | None = None  # when the whole body must be in (set at its first read)

        async def limited_receive() -> Message:
            nonlocal received, complete, ends
            if complete:
                return await receive()
            now = time.monotonic()
            ends = now + self.deadline if ends is None else ends
            wait = min(self.timeout, ends - now)
            try:
                async with asyncio.timeout(max(wait, 0.0)):  # no task per call, unlike wait_for
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.timeout if wait == self.timeout else self.deadline) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                complete = not message.get("more_body", False)
            else:
                complete = True
            return message

        await self.app(scope, limited_receive, send)
