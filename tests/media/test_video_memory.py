"""Reading part of a video many times keeps memory flat: PyAV's packet reader is closed.

A server serves one frame of a video per request (a hit's moment, a poster); PyAV's
``demux`` frees its read packet only on an explicit ``close()``, and ``container.decode``
never closes it — each early stop leaked about 0.3 KB (see
:func:`imgsearch.media.containers.decoded_frames`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from imgsearch.media.containers import decoded_frames

pytest.importorskip("av")


class _Packets:
    """A packet reader that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False
        self._left = iter(range(10))

    def __iter__(self) -> Iterator[_Packet]:
        return self

    def __next__(self) -> _Packet:
        return _Packet(next(self._left))

    def close(self) -> None:
        self.closed = True


class _Packet:
    def __init__(self, number: int) -> None:
        self.number = number

    def decode(self) -> list[int]:
        return [self.number]


class _Container:
    def __init__(self) -> None:
        self.packets = _Packets()

    def demux(self, stream: object) -> _Packets:
        return self.packets


def test_stopping_early_or_dropping_the_frames_closes_the_packet_reader() -> None:
    container = _Container()
    frames = decoded_frames(container, "video")
    assert next(frames) == 0
    del frames  # dropped, not closed: Python closes its own generator, which closes PyAV's
    assert container.packets.closed
    container = _Container()
    for frame in decoded_frames(container, "video"):
        if frame == 2:
            break
    assert container.packets.closed
    container = _Container()
    assert list(decoded_frames(container, "video")) == list(range(10))
    assert container.packets.closed


FRAMES = textwrap.dedent(
    """
    import io, random, sys, tempfile
    from pathlib import Path
    from imgsearch.demo.videos import Appearance, VideoSpec, write_video
    from imgsearch.media.memory import trim_free_memory
    from imgsearch.media.video_seek import frame_at

    def rss_mb():
        return int(open("/proc/self/statm").read().split()[1]) * 4 / 1024

    path = Path(tempfile.mkdtemp()) / "v.mp4"
    shape = (Appearance("circle", "red", 0.5, 5.0),)
    write_video(path, VideoSpec(6.0, shape, width=96, height=64, fps=10, gop=5))
    data = path.read_bytes()
    moments = random.Random(7)
    readings = []
    for _ in range(6):
        for _ in range(1000):  # a frame at a random moment, as requests ask for them
            frame_at(io.BytesIO(data), moments.uniform(0, 6), name="v", max_side=64)
        trim_free_memory()
        readings.append(rss_mb())
    print(*readings)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serving_thousands_of_frames_keeps_memory_flat() -> None:
    run = subprocess.run([sys.executable, "-c", FRAMES], capture_output=True, text=True, check=True)
    readings = [float(mb) for mb in run.stdout.split()]
    # 5,000 frames after the first thousand: the leak grew ~1.5 MB here (0.3 KB a frame)
    assert readings[-1] - readings[0] < 0.6, readings
