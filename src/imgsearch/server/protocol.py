"""uvicorn's HTTP/1.1 protocol with a deadline for request headers.

uvicorn closes idle keep-alive connections but has no limit on how long a
client may take to *send* a request's headers: a slowloris client that
trickles one header byte every few seconds holds its connection forever, and
a few hundred of them hold every connection the server has. Here a client
must complete its headers within ``header_timeout`` seconds of connecting (or
of its first byte after a previous response), or the connection is closed.

uvicorn's ``limit_concurrency`` caps the connections of all clients together: one client
opening 999 connections that each send a byte now and then made the server answer 503 to
everyone. So one address may hold at most ``per_client`` connections; beyond, the new one
is answered 503 at once and closed. Trusted reverse proxies are exempt (every client
comes through them).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TOO_MANY = json.dumps(
    {"error": {"code": "TooManyConnections", "message": "too many open connections from your "
               "address: close some, or send requests one after another on each"}}
).encode()  # fmt: skip
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 1\r\nconnection: close\r\n"
    + f"content-length: {len(TOO_MANY)}\r\n\r\n".encode()
    + TOO_MANY
)


def guarded_protocol(
    header_timeout: float, per_client: int | None = None, exempt: Sequence[str] = ()
) -> type[H11Protocol]:
    """An :class:`H11Protocol` class that enforces ``header_timeout`` and at most
    ``per_client`` open connections per address (``exempt``: addresses or networks of
    trusted proxies), for uvicorn's ``http``."""
    open_from: Counter[str] = Counter()  # one event loop: no lock needed
    trusted = [ipaddress.ip_network(item, strict=False) for item in exempt]

    def limited(host: str) -> bool:
        if per_client is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return True
        return not any(address in network for network in trusted)

    class HeaderDeadlineProtocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_deadline: asyncio.TimerHandle | None = None
            self._counted: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
            if host and limited(host):
                assert per_client is not None
                if open_from[host] >= per_client:
                    transport.write(REFUSAL)
                    transport.close()
                    return
                open_from[host] += 1
                self._counted = host
            self._watch_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_watching()
            if self._counted is not None:
                open_from[self._counted] -= 1
                if open_from[self._counted] <= 0:
                    del open_from[self._counted]
                self._counted = None
            super().connection_lost(exc)

        def _watch_headers(self) -> None:
            waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
            if not waiting:
                self._stop_watching()
            elif self._header_deadline is None and self.timeout_keep_alive_task is None:
                # (between requests uvicorn's keep-alive timer already watches the silence)
                self._header_deadline = self.loop.call_later(header_timeout, self._give_up)

        def _stop_watching(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _give_up(self) -> None:
            self._header_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol
