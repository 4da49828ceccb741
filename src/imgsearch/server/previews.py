"""Previews: a picture as a tiny PNG inside the answer that lists it, shown while its
thumbnail loads.

Why: a search's first row of thumbnails is a handful of requests that queue behind one
another on the browser's few connections and, the first time, behind the server making
each thumbnail — 60–100 ms after the answer on two cores (BENCHMARKS.md, Web page), while
the answer itself can already say what the pictures look like. Every still picture has a
**thumbprint** stored at index time (:mod:`imgsearch.duplicates.thumbprint`: its model
input shrunk to 16 × 16 colour cells, 768 bytes), so a preview costs no decode: the cells
become a PNG of the picture's own shape (a few hundred bytes) that the page paints behind
the thumbnail, as photo libraries paint a blurred placeholder (immich's thumbhash,
Google Photos' dominant colour).

The thumbprint is what the model looked at: the whole picture squashed to a square
(``resize="squash"``, the demo model, SigLIP), or the centre square of the picture
(``"shortest"``, CLIP), whose sides the preview fills by repeating its edge cells. Its
cells are the model's normalised channels (``(x − mean) / std`` per channel), stretched
together to 0–255; the preview undoes the normalisation as if the picture reached from
black to white (what the stretch lost), so a photo keeps its colours and a dull one is
shown with more contrast than it has. A picture of one colour all over keeps none of it
in its thumbprint and previews grey: a placeholder, not a thumbnail. Videos and PDFs have
no thumbprint and get no preview.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.duplicates.thumbprint import CHANNELS, SIDE, SIZE
from imgsearch.index import Index
from imgsearch.store import ImageRecord

MAX_PREVIEWS = 40
"""Most previews one answer carries (a page of the web grid): ``previews`` above it is
refused. The page asks for its first rows only."""
FLAT_GREY = 128
"""What a picture of one colour all over previews as: its thumbprint is all zeros."""
MAX_RATIO = 2.5
"""A preview's longest side over its shortest, as the page keeps tiles (``ratioOf``)."""


@dataclass(frozen=True)
class Preprocessing:
    """What the model did to a picture before its thumbprint was taken (its manifest's
    ``image`` entry): how it was made square, and each channel's normalisation."""

    resize: str = "shortest"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @classmethod
    def of(cls, described: Mapping[str, object]) -> Preprocessing:
        """From an encoder's ``preprocessing`` description (anything missing: no change)."""
        mean, std = _triple(described.get("mean")), _triple(described.get("std"))
        resize = str(described.get("resize", "shortest"))
        if mean is None or std is None or min(std) <= 0:
            return cls(resize)
        return cls(resize, mean, std)

    def colours(self, cells: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """``(side, side, 3)`` thumbprint cells as RGB: the normalisation undone, taking
        the stretch to have spanned black to white."""
        mean, std = np.asarray(self.mean), np.asarray(self.std)
        low, high = float((-mean / std).min()), float(((1 - mean) / std).max())
        normalised = low + cells.astype(np.float64) / 255 * (high - low)
        rgb = np.clip(normalised * std + mean, 0, 1) * 255
        result: NDArray[np.uint8] = rgb.round().astype(np.uint8)
        return result


def _triple(values: object) -> tuple[float, float, float] | None:
    """Three numbers, one per channel, or ``None``."""
    if not isinstance(values, list | tuple) or len(values) != CHANNELS:
        return None
    try:
        first, second, third = (float(v) for v in values)
    except (TypeError, ValueError):
        return None
    return first, second, third


def preview_png(
    thumbprint: bytes, width: int | None, height: int | None, model: Preprocessing
) -> bytes:
    """A PNG of ``thumbprint`` in the shape of a ``width`` × ``height`` picture, with the
    colours and the square that the ``model``'s preprocessing made."""
    if len(thumbprint) != SIZE:
        raise ValueError(f"a thumbprint has {SIZE} bytes, not {len(thumbprint)}")
    cells = np.frombuffer(thumbprint, np.uint8).reshape(CHANNELS, SIDE, SIDE).transpose(1, 2, 0)
    # one colour all over: its thumbprint kept none of it
    flat = (cells == cells[0, 0]).all()
    cells = np.full_like(cells, FLAT_GREY) if flat else model.colours(cells)
    resize = model.resize
    ratio = (width / height) if width and height else 1.0
    ratio = min(max(ratio, 1 / MAX_RATIO), MAX_RATIO)
    if resize == "shortest" and abs(ratio - 1) > 1e-3:
        # the cells are the picture's centre square: its sides, repeated from the edges
        wide = ratio > 1
        long = round(SIDE * (ratio if wide else 1 / ratio))
        before, after = (long - SIDE) // 2, long - SIDE - (long - SIDE) // 2
        pad = ((0, 0), (before, after), (0, 0)) if wide else ((before, after), (0, 0), (0, 0))
        image = Image.fromarray(np.pad(cells, pad, mode="edge"))
    else:
        image = Image.fromarray(np.ascontiguousarray(cells))
        if abs(ratio - 1) > 1e-3:  # the whole picture squashed: unsquash it
            size = (SIDE, round(SIDE / ratio)) if ratio > 1 else (round(SIDE * ratio), SIDE)
            image = image.resize(size, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def previews(
    index: Index, records: Iterable[ImageRecord], count: int, model: Preprocessing
) -> Mapping[int, str]:
    """``data:`` URLs of the previews of the first ``count`` distinct pictures among
    ``records`` that have a thumbprint, by id."""
    wanted: dict[int, ImageRecord] = {}
    for record in records:
        if len(wanted) >= count:
            break
        wanted.setdefault(record.id, record)
    if not wanted:
        return {}
    prints = index.thumbprints(list(wanted))
    found = {}
    for image_id, thumbprint in prints.items():
        record = wanted[image_id]
        png = preview_png(thumbprint, record.width, record.height, model)
        found[image_id] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return found
