"""What an annotation file says, read into one shape whatever its format."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Unit = Literal["px", "fraction"]


@dataclass(frozen=True)
class LabeledBox:
    """One annotated object: its label and box (``x, y`` top-left, then width and height),
    in pixels or in fractions of the image's size (YOLO), as the file gave it."""

    label: str
    x: float
    y: float
    w: float
    h: float
    unit: Unit = "px"
    score: float | None = None

    def usable(self) -> bool:
        values = (self.x, self.y, self.w, self.h)
        return all(math.isfinite(v) for v in values) and self.w > 0 and self.h > 0


@dataclass(frozen=True)
class Problem:
    """An entry that could not be used, and why; ``where`` names the file and the entry."""

    where: str
    message: str


@dataclass
class Parsed:
    """The boxes of each image named by a file (an image named without boxes has an empty
    list: its annotations are cleared), keyed by the path the file gives (relative, ``/``
    separators; without the extension when ``by_stem``, as YOLO names images), and what
    could not be read."""

    images: dict[str, list[LabeledBox]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    by_stem: bool = False
    format: str = ""
