"""Giving the memory of decoded images back to the system once they are freed.

glibc's allocator serves a large request with its own memory mapping, which a
``free`` returns at once — but after freeing one it raises that threshold (up
to 32 MB) and serves later requests from its heaps, where freed memory stays
with the process. Decoded images are exactly such requests (Pillow allocates
them in blocks of up to 16 MB): three concurrent 9000×9000 RGBA decodes left a
server holding 400 MB that nothing used. A fixed threshold keeps every buffer of
4 MiB or more in a mapping of its own, returned when freed; smaller ones (the
model's inputs, JSON) are unaffected. Process-wide, so only the edges (CLI,
server) call it.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

MMAP_THRESHOLD = 4 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers in glibc's malloc.h
_M_ARENA_MAX = -8


def _glibc(name: str, *argtypes: type[ctypes._SimpleCData[Any]]) -> Any | None:
    """glibc's function ``name`` (``None`` off Linux, or where the C library lacks it:
    musl and others). Looked up among the symbols the process already has: no search
    for the library file, which runs `ldconfig -p` in a subprocess on every call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = list(argtypes)
    return function


def return_large_buffers() -> bool:
    """Make buffers of :data:`MMAP_THRESHOLD` bytes or more go back to the system when
    freed. True where it took effect (Linux with glibc); elsewhere nothing changes."""
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def limit_heaps(count: int) -> bool:
    """Let the threads share at most ``count`` allocator heaps (glibc's ``M_ARENA_MAX``;
    its default is eight per core). True where it took effect (Linux with glibc).

    Why a server wants few: each thread that allocates while another holds its heap gets a
    heap of its own, and each heap keeps its own free holes and its own top, which no
    other thread reuses. Under the soak's mixed load the free-but-kept memory swung between
    69 and 84 MB across the heaps even with :func:`trim_free_memory` every 30 s. Fewer
    heaps let one thread's holes serve the next thread's request; the cost is a little
    waiting on the heap's lock, which the server's few busy threads rarely meet (the model
    and the decoders allocate their large buffers outside the heaps). Only heaps created
    afterwards obey it, so the server calls it before its threads start."""
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    return count > 0 and mallopt is not None and bool(mallopt(_M_ARENA_MAX, count))


def trim_free_memory() -> bool:
    """Give the free pages inside the allocator's heaps back to the system (glibc's
    ``malloc_trim``). True where it ran (Linux with glibc).

    Why a server needs it: many threads decoding, embedding and answering at once leave
    the heaps full of small free holes that glibc keeps. Measured under the soak's mixed
    load, memory in use stayed at ~170 MB while free-but-kept heap memory grew from 54 to
    100 MB in five minutes, and with it the resident size. ``malloc_trim`` releases the
    whole pages among those holes (and the heaps' tops); it takes milliseconds."""
    malloc_trim = _glibc("malloc_trim", ctypes.c_size_t)
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
