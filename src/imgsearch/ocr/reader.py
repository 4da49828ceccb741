"""Reading the lines of text in one image with RapidOCR, within a fixed cost.

Why these choices:

- **A downscaled copy.** Detection cost grows with the pixels; a 24 MP photo is read
  from a copy whose long side is :data:`DEFAULT_MAX_SIDE` (text smaller than that copy
  can show is below what the recogniser reads anyway). Boxes are mapped back to the
  image's own pixels.
- **A first look decides.** RapidOCR's detector scales every image up to at least 736 px
  on its short side, ≈ 0.3 s on 2 cores whatever it finds. A second detector-only engine
  first looks at a :data:`DEFAULT_LOOK_SIDE` copy (≈ 50 ms); a picture where it sees no
  text-shaped box (:data:`MIN_ELONGATION`) is done, and only one where it does is read in
  full. On a held-out set it missed no picture with text (BENCHMARKS.md).
- **Lines, not words.** The recogniser reads a detected line at a time; a line keeps its
  box (axis-aligned around the detected quadrilateral) and its confidence. Lines below
  :data:`DEFAULT_MIN_CONFIDENCE` are dropped as noise.

The shipped models (PP-OCRv4, Chinese + English) read Latin letters, digits and
punctuation, and Chinese; accented Latin letters often lose their accent.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import ImgsearchError, ModelError
from imgsearch.types import Box, TextLine

DEFAULT_MAX_SIDE = 1280
"""Long side, in pixels, of the copy that is read."""
DEFAULT_MIN_CONFIDENCE = 0.5
"""Lines the recogniser is less sure of than this are dropped."""
DEFAULT_LOOK_SIDE = 480
"""Long side, in pixels, of the copy the first look (detection only) sees; 0: no look."""
MIN_ELONGATION = 1.5
"""A box the first look finds counts as text when it is at least this many times longer
than wide: the detector also answers to round blobs and edges in photos, lines of text are
long (on a held-out set, every picture with words had a box of 2.2 or more; 2 of 40
photos without text had a blob above 1.5). One or two characters alone may go unread."""
RAPIDOCR_VERSION = "1.4.4"
INSTALL = (
    "pip install 'imgsearch[ocr]' && "
    f"pip install --no-deps rapidocr-onnxruntime=={RAPIDOCR_VERSION}"
)
"""How to install OCR: its wheel names the desktop OpenCV build (which needs display
libraries), so it goes in without its dependencies; the extra brings the headless build
and the rest."""


class OcrUnavailable(ModelError):
    """RapidOCR (or one of its dependencies) is not installed."""


class OcrFailed(ImgsearchError):
    """Reading one image's text failed (the image itself is fine)."""


def ocr_available() -> bool:
    """Whether RapidOCR and OpenCV can be imported (without importing them)."""
    return all(importlib.util.find_spec(name) for name in ("rapidocr_onnxruntime", "cv2"))


class TextReader:
    """RapidOCR, loaded once; :meth:`read` is safe to call from several threads (one
    image at a time: the engine is not re-entrant)."""

    def __init__(
        self,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        look_side: int = DEFAULT_LOOK_SIDE,
        threads: int | None = None,
    ) -> None:
        self.max_side = max_side
        self.min_confidence = min_confidence
        self.look_side = look_side
        self._engine = _load_engine(threads)
        self._look = (
            _load_engine(threads, det_limit_type="max", det_limit_side_len=look_side)
            if look_side
            else None
        )
        self._lock = threading.Lock()
        self.looks = self.reads = 0
        """How many pictures were looked at, and how many of them read in full."""

    def looks_like_text(self, rgb: NDArray[np.uint8]) -> bool:
        """The first look alone: whether the detector sees text in a copy of ``rgb``
        whose long side is at most ``look_side`` (True when the reader takes no look).
        Raises :class:`OcrFailed`."""
        _check(rgb)
        if self._look is None:
            return True
        glance = _shrunk(rgb, min(1.0, self.look_side / max(rgb.shape[:2])))
        try:
            with self._lock:
                self.looks += 1
                seen, _ = self._look(_bgr(glance), use_cls=False, use_rec=False)
        except Exception as exc:  # RapidOCR and OpenCV raise assorted errors
            raise OcrFailed(f"text detection failed: {exc}") from None
        return any(_elongation(box) >= MIN_ELONGATION for box in seen or [])

    def read(
        self, rgb: NDArray[np.uint8], size: tuple[int, int] | None = None, *, look: bool = True
    ) -> list[TextLine]:
        """The lines of text in an upright RGB image (``(height, width, 3)`` uint8), top
        to bottom; ``[]`` when there is none. ``size``: the image's own ``(width,
        height)`` when ``rgb`` is a smaller copy of it (boxes are in the image's pixels).
        ``look=False``: the caller took the first look (:meth:`looks_like_text`) already.
        Raises :class:`OcrFailed`."""
        _check(rgb)
        small = _shrunk(rgb, min(1.0, self.max_side / max(rgb.shape[:2])))
        if look and not self.looks_like_text(small):
            return []
        width, height = size or (rgb.shape[1], rgb.shape[0])
        scale = small.shape[1] / width  # copy pixels per image pixel
        try:
            with self._lock:
                self.reads += 1
                found, _ = self._engine(_bgr(small), use_cls=True)
        except Exception as exc:  # RapidOCR and OpenCV raise assorted errors
            raise OcrFailed(f"text recognition failed: {exc}") from None
        lines = [
            line
            for entry in found or []
            if (line := _line(entry, scale, width, height)) is not None
            and line.confidence >= self.min_confidence
        ]
        return sorted(lines, key=lambda line: (line.box.y, line.box.x))


def _elongation(quadrilateral: Any) -> float:
    """How much longer than wide a detected box is, along its own sides (turned text too)."""
    corners = np.asarray(quadrilateral, dtype=np.float64)
    along = float(np.linalg.norm(corners[1] - corners[0]))
    across = float(np.linalg.norm(corners[3] - corners[0]))
    return max(along, across) / max(min(along, across), 1.0)


def _check(rgb: NDArray[np.uint8]) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise OcrFailed(f"cannot read text in an array of shape {rgb.shape} ({rgb.dtype})")


def _shrunk(rgb: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    if scale >= 1.0:
        return rgb
    height, width = rgb.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))


def _bgr(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """RapidOCR takes arrays in OpenCV's channel order."""
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _line(entry: Any, scale: float, width: int, height: int) -> TextLine | None:
    """One RapidOCR result ``[quadrilateral, text, score]`` in the original's pixels."""
    points, text, score = entry
    text = " ".join(str(text).split())
    if not text:
        return None
    corners = np.asarray(points, dtype=np.float64) / scale
    left, top = max(0.0, float(corners[:, 0].min())), max(0.0, float(corners[:, 1].min()))
    right = min(float(width), float(corners[:, 0].max()))
    bottom = min(float(height), float(corners[:, 1].max()))
    if right - left < 1 or bottom - top < 1:
        return None
    box = Box(round(left, 1), round(top, 1), round(right - left, 1), round(bottom - top, 1))
    return TextLine(text, box, round(float(score), 4))


def _load_engine(threads: int | None, **settings: Any) -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable(
            f"reading text in images needs RapidOCR, which is not installed ({exc})",
            hint=INSTALL,
        ) from None
    settings["print_verbose"] = False
    if threads is not None:
        settings.update(intra_op_num_threads=threads, inter_op_num_threads=1)
    try:
        return RapidOCR(**settings)
    except Exception as exc:
        raise OcrUnavailable(f"RapidOCR could not start: {exc}", hint=INSTALL) from None
