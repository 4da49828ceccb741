"""uvicorn's HTTP/1.1 protocol with a deadline for request headers.

uvicorn closes idle keep-alive connections but has no limit on how long a
client may take to *send* a request's headers: a slowloris client that
trickles one header byte every few seconds holds its connection forever, and
a few hundred of them hold every connection the server has. Here a client
must complete its headers within ``header_timeout`` seconds of connecting (or
of its first byte after a previous response), or the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def guarded_protocol(header_timeout: float) -> type[H11Protocol]:
    """An :class:`H11Protocol` class that enforces ``header_timeout`` (for uvicorn's ``http``)."""

    class HeaderDeadlineProtocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._watch_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_watching()
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
