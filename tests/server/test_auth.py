"""The per-key rate limit: a sliding minute per identity, and a table that does not grow forever."""

from __future__ import annotations

from imgsearch.server.auth import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_minute_per_identity() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0
    clock.now += 10
    assert limiter.acquire("a") == 50  # the first of the two leaves the window at +60
    assert limiter.acquire("b") == 0  # others are not affected
    clock.now += 50
    assert limiter.acquire("a") == 0


def test_quiet_identities_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    for n in range(RateLimiter.SWEEP_EVERY - 1):
        limiter.acquire(f"one-off client {n}")
    assert len(limiter) == RateLimiter.SWEEP_EVERY - 1
    clock.now += 61
    limiter.acquire("regular")  # the sweep runs: only those seen within a minute stay
    assert len(limiter) == 1
    assert RateLimiter(0).acquire("anyone") == 0  # unlimited
