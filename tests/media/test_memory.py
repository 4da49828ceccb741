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
