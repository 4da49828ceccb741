"""Small value types shared across imgsearch."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from imgsearch.errors import InvalidBox

BoxUnit = Literal["px", "fraction"]

_NUMBER = r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*"
_BOX_PATTERN = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")
# Fractions may overshoot 1.0 by float noise from client-side arithmetic.
_FRACTION_SLACK = 1e-6


@dataclass(frozen=True)
class Box:
    """A rectangular region of an image: ``x, y`` is the top-left corner.

    Coordinates are in the image as it is displayed, i.e. after its EXIF
    orientation is applied. ``unit`` is ``"px"`` (pixels) or ``"fraction"``
    (0..1 of the image's width and height, handy when the client only knows a
    thumbnail). ``padding`` widens the box on every side by that fraction of the
    box's own width/height, to give the model some context around an object;
    the padded box is clipped to the image, while the unpadded box must lie
    inside it.
    """

    x: float
    y: float
    w: float
    h: float
    unit: BoxUnit = "px"
    padding: float = 0.0

    def __post_init__(self) -> None:
        values = (self.x, self.y, self.w, self.h)
        if not all(math.isfinite(v) for v in values):
            raise InvalidBox(f"box {self.describe()} has a non-finite coordinate")
        if self.x < 0 or self.y < 0:
            raise InvalidBox(
                f"box {self.describe()} starts at a negative coordinate",
                hint="x and y are the top-left corner and must be >= 0",
            )
        if self.w <= 0 or self.h <= 0:
            raise InvalidBox(
                f"box {self.describe()} has zero area",
                hint="give the box a positive width and height (x,y,w,h)",
            )
        if self.unit not in ("px", "fraction"):
            raise InvalidBox(f"box unit must be 'px' or 'fraction', not {self.unit!r}")
        if self.unit == "fraction" and (
            self.x + self.w > 1 + _FRACTION_SLACK or self.y + self.h > 1 + _FRACTION_SLACK
        ):
            raise InvalidBox(
                f"fractional box {self.describe()} extends past the image (x+w or y+h > 1)",
                hint="fractions are of the image's width and height and must stay within 0..1",
            )
        if not (0 <= self.padding <= 10) or not math.isfinite(self.padding):
            raise InvalidBox(f"box padding must be between 0 and 10, not {self.padding}")

    @classmethod
    def parse(cls, text: str, *, padding: float = 0.0) -> Box:
        """Parse ``"x,y,w,h"``: integers are pixels, decimals (``0.1,0.2,0.5,0.5``) fractions.

        Mixing the two forms is refused rather than guessed at.
        """
        match = _BOX_PATTERN.match(text)
        if match is None:
            raise InvalidBox(
                f"cannot read box {text!r}",
                hint="write it as x,y,w,h — pixels like 10,20,200,150 "
                "or fractions like 0.1,0.2,0.5,0.5",
            )
        parts = match.groups()
        decimals = ["." in p or "e" in p.lower() for p in parts]
        if all(decimals):
            x, y, w, h = (float(p) for p in parts)
            return cls(x, y, w, h, unit="fraction", padding=padding)
        if not any(decimals):
            x, y, w, h = (int(p) for p in parts)
            return cls(x, y, w, h, unit="px", padding=padding)
        raise InvalidBox(
            f"box {text!r} mixes pixel and fractional values",
            hint="use all integers for pixels or all decimals (0..1) for fractions",
        )

    def describe(self) -> str:
        """The box as the user would write it."""
        if self.unit == "px":
            return f"{self.x:g},{self.y:g},{self.w:g},{self.h:g}"
        return f"{self.x:g},{self.y:g},{self.w:g},{self.h:g} (fractions)"

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The padded crop rectangle ``(left, top, right, bottom)`` for an image of that size.

        Raises :class:`InvalidBox` when the unpadded box does not fit the image.
        """
        if self.unit == "fraction":
            left, top = self.x * width, self.y * height
            right, bottom = (self.x + self.w) * width, (self.y + self.h) * height
        else:
            left, top, right, bottom = self.x, self.y, self.x + self.w, self.y + self.h
            if right > width or bottom > height:
                raise InvalidBox(
                    f"box {self.describe()} lies outside the {width}x{height} image",
                    hint=f"keep x+w <= {width} and y+h <= {height}",
                )
        pad_x, pad_y = (right - left) * self.padding, (bottom - top) * self.padding
        box = (
            max(0, round(left - pad_x)),
            max(0, round(top - pad_y)),
            min(width, round(right + pad_x)),
            min(height, round(bottom + pad_y)),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            raise InvalidBox(
                f"box {self.describe()} covers less than one pixel of the {width}x{height} image",
                hint="draw a larger box",
            )
        return box


@dataclass(frozen=True)
class TextLine:
    """One line of text read in an image (OCR) or a document's page (its text layer): what
    it says, where (a box in the image's upright pixels; on a page, in points from its top
    left corner), how sure the recogniser was (0–1; 1 for a text layer), and for a document
    the page it is on (from 1)."""

    text: str
    box: Box
    confidence: float
    page: int | None = None


__all__ = ["Box", "BoxUnit", "TextLine"]
