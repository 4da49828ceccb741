"""Freed memory goes back to the system: what keeps a long-running server's size flat."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHURN = textwrap.dedent(
    """
    import threading
    from imgsearch.media.memory import trim_free_memory

    def rss_mb():
        return int(open("/proc/self/statm").read().split()[1]) * 4 / 1024

    kept = []

    def churn():  # what request threads do: many small buffers, a few outlive the request
        blocks = [bytes(2000) for _ in range(100_000)]
        kept.extend(blocks[::50])

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    before = rss_mb()
    print(trim_free_memory(), before, rss_mb())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trimming_returns_the_holes_threads_left_in_the_heap() -> None:
    run = subprocess.run([sys.executable, "-c", CHURN], capture_output=True, text=True, check=True)
    trimmed, before, after = run.stdout.split()
    assert trimmed == "True"
    # 200 MB allocated in small blocks, 4 MB of them still alive: the heap kept the rest
    # until the trim gave it back
    assert float(before) - float(after) > 100, run.stdout


HEAPS = textwrap.dedent(
    """
    import ctypes, sys, threading
    from imgsearch.media.memory import limit_heaps

    print(limit_heaps(int(sys.argv[1])))
    together = threading.Barrier(8)

    def request():  # eight threads allocating at the same time, as under load
        blocks = [bytes(5000) for _ in range(200)]
        together.wait()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per heap, on stderr
    """
)


def _heaps(limit: int) -> tuple[str, int]:
    run = subprocess.run(
        [sys.executable, "-c", HEAPS, str(limit)], capture_output=True, text=True, check=True
    )
    heaps = sum(line.startswith("Arena ") for line in run.stderr.splitlines())
    return run.stdout.strip(), heaps


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's M_ARENA_MAX")
def test_limiting_heaps_makes_concurrent_threads_share_them() -> None:
    took, unlimited = _heaps(0)
    assert took == "False"  # 0 leaves glibc's default
    assert unlimited > 2  # without a limit, threads allocating together get heaps of their own
    took, limited = _heaps(2)
    assert (took, limited) == ("True", 2)
