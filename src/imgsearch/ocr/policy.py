"""Whether an index reads the text in its images, and with which settings.

Kept with the index (:meth:`imgsearch.store.Store.text_policy`) like its model: turned on
once (``imgsearch index --ocr``), every later run reads the images that are new or
changed, and those the index holds that were never read (an index made without OCR, a
duplicate whose bytes were not decoded). Its :attr:`TextPolicy.stamp` names the reader and
its settings; an image read with another stamp is read again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from imgsearch.errors import InvalidSettings
from imgsearch.ocr.reader import (
    DEFAULT_LOOK_SIDE,
    DEFAULT_MAX_SIDE,
    DEFAULT_MIN_CONFIDENCE,
    RAPIDOCR_VERSION,
)

MODEL = "pp-ocrv4"
"""The detection and recognition models the ``rapidocr-onnxruntime`` wheel ships."""


@dataclass(frozen=True)
class TextPolicy:
    """``read``: whether runs read text; ``max_side``, ``min_confidence``, ``look_side``:
    see :class:`~imgsearch.ocr.reader.TextReader`."""

    read: bool = False
    max_side: int = DEFAULT_MAX_SIDE
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    look_side: int = DEFAULT_LOOK_SIDE

    def __post_init__(self) -> None:
        if not 32 <= self.max_side <= 8192:
            raise InvalidSettings(f"OCR max side {self.max_side} is not between 32 and 8192 pixels")
        if not 0 <= self.min_confidence <= 1:
            raise InvalidSettings(
                f"OCR minimum confidence {self.min_confidence} is not within 0..1"
            )
        if self.look_side and not 32 <= self.look_side <= self.max_side:
            raise InvalidSettings(f"OCR look side {self.look_side} is not between 32 and max side")

    @property
    def stamp(self) -> str:
        """What read an image's text: reader, models and settings."""
        return (
            f"rapidocr-{RAPIDOCR_VERSION}/{MODEL}/side={self.max_side}"
            f"/min={self.min_confidence:g}/look={self.look_side}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> TextPolicy:
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)
