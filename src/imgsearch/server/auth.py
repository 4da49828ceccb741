"""API keys, the per-key rate limit, and a limit on guessing keys.

A key arrives in ``Ocp-Apim-Subscription-Key`` (Azure's header) or as
``Authorization: Bearer KEY``. Keys are compared as SHA-256 digests with
:func:`hmac.compare_digest` against every configured key, so neither the time
taken nor an early exit tells an attacker how much of a guess was right. A
client address that sent ``auth_failures_per_minute`` wrong keys within a
minute gets 429 for every key it sends until the minute is over, right or
wrong: guessing keys is slow, and an answer tells nothing about the guess.
The address is the connection's peer, or what a configured trusted proxy says
(``X-Forwarded-For`` from anyone else is ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from imgsearch.server.errors import AZURE_PREFIX, ApiError, AzureError
from imgsearch.server.settings import ServerSettings

AZURE_ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your resource."
)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# Declared when keys are on, so that the OpenAPI schema (and any client generated from it)
# knows how to send one; the check itself reads the headers.
_AZURE_KEY = APIKeyHeader(
    name="Ocp-Apim-Subscription-Key", auto_error=False, scheme_name="SubscriptionKey"
)
_BEARER = HTTPBearer(auto_error=False, scheme_name="Bearer")


class KeyCheck:
    """Accepts a request when keys are off, or when it carries a configured key."""

    def __init__(self, settings: ServerSettings) -> None:
        self.enabled = settings.auth_enabled
        self.digests = [bytes.fromhex(key_digest(k.get_secret_value())) for k in settings.api_keys]
        self.digests += [bytes.fromhex(h.strip().lower()) for h in settings.api_key_hashes]
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.failures = RateLimiter(settings.auth_failures_per_minute)

    def dependency(self) -> Callable[..., Awaitable[str]]:
        """The route dependency: with keys on, it declares both ways to send one."""
        if not self.enabled:
            return self.check

        async def keyed(
            request: Request,
            _key: str | None = Security(_AZURE_KEY),
            _bearer_token: HTTPAuthorizationCredentials | None = Security(_BEARER),
        ) -> str:
            return await self.check(request)

        return keyed

    async def check(self, request: Request) -> str:
        """The caller's identity (a key digest, or the client address when keys are off).

        A coroutine only so that FastAPI runs it on the event loop: it does microseconds of
        work, and a plain function would cost every request a trip through the thread pool.
        """
        address = request.client.host if request.client else "anonymous"
        if not self.enabled:
            identity = address
        else:
            _retry_after(self.failures.wait(address), "too many requests with a wrong API key")
            # Every key presented must be right: a subscription-key header (even an empty
            # one) and a Bearer token are both checked when both are sent.
            presented = [request.headers.get("ocp-apim-subscription-key"), _bearer(request)]
            keys = [key for key in presented if key is not None]
            known = [self._known(key) for key in keys]  # each one checked, no early exit
            if not keys or not all(known):
                self.failures.acquire(address)
                if request.url.path.startswith(AZURE_PREFIX):
                    raise AzureError(401, "401", AZURE_ACCESS_DENIED)
                raise ApiError(
                    401,
                    "Unauthorized",
                    "a valid API key is required (Ocp-Apim-Subscription-Key or Authorization: Bearer)",
                )
            identity = key_digest(keys[0])
        _retry_after(self.limiter.acquire(identity), "rate limit exceeded")
        return identity

    def _known(self, key: str) -> bool:
        digest = bytes.fromhex(key_digest(key))
        found = False
        for known in self.digests:  # no early exit
            found |= hmac.compare_digest(digest, known)
        return found


def _retry_after(wait: float, why: str) -> None:
    if wait > 0:
        raise ApiError(
            429,
            "TooManyRequests",
            f"{why}; retry in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class RateLimiter:
    """At most ``per_minute`` requests per identity in any sliding minute (0: unlimited).

    Identities (client addresses when keys are off) that have been quiet for a
    minute are forgotten on a sweep every ``SWEEP_EVERY`` requests, so many
    one-off clients cannot grow the table without bound.
    """

    SWEEP_EVERY = 1024

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def __len__(self) -> int:
        """Identities remembered."""
        return len(self._seen)

    def acquire(self, identity: str) -> float:
        """0 when the request may go (and it is counted); otherwise the seconds until it may."""
        return self._check(identity, count=True)

    def wait(self, identity: str) -> float:
        """The seconds until ``identity`` may go again (0: now), counting nothing."""
        return self._check(identity, count=False)

    def _check(self, identity: str, *, count: bool) -> float:
        if self.per_minute <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._sweep(now)
            times = self._seen.get(identity)
            if times is None:
                if not count:
                    return 0.0
                times = self._seen[identity] = deque()
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return 60 - (now - times[0])
            if count:
                times.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        quiet = [who for who, times in self._seen.items() if not times or now - times[-1] >= 60]
        for who in quiet:
            del self._seen[who]
