"""Video files made to hurt whoever reads them, for the tests of readers and the server."""

from __future__ import annotations

import fractions
import io
from pathlib import Path

from PIL import Image


def lying_mjpeg(path: Path, side: int = 12000, frames: int = 3) -> Path:
    """An AVI whose header and first frame say 64×64 and whose later MJPEG frames are
    ``side``×``side`` pixels of grey (12000: 144 MP, 432 MB a frame as RGB; a few hundred
    KB each as JPEG)."""
    import av

    def jpeg(width: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("L", (width, width), 128).save(buffer, "JPEG", quality=5)
        return buffer.getvalue()

    small, big = jpeg(64), jpeg(side)
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuvj420p"
        for number in range(frames):
            packet = av.Packet(small if number == 0 else big)
            packet.stream = stream
            packet.pts = packet.dts = number
            packet.time_base = fractions.Fraction(1, 5)
            container.mux(packet)
    return path


def sdp_in_disguise(path: Path, size: int | None = None) -> Path:
    """A session description (SDP) saved as ``path``, padded to ``size`` bytes: FFmpeg, left
    to guess, reads it as a stream to receive and opens UDP sockets for it."""
    text = (
        b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=imgsearch\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        b"m=video 45678 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    )
    if size is not None:
        text = text + b"a=x:" + b"x" * max(0, size - len(text) - 6) + b"\r\n"
    path.write_bytes(text)
    return path
