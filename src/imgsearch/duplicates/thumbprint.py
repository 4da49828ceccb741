"""A picture's thumbprint: its model input shrunk to 16 × 16 colour cells (768 bytes).

Why it exists: a model's vector says *what* is in a picture, not *where*. Two photos of
the same scene taken a step apart, or two pictures with the same objects in other places,
have vectors as close as a photo and its resized copy. The thumbprint keeps the layout,
so a pair whose vectors agree must also agree on where things are — and in which colours
— to count as a near-duplicate. It is computed from the model input the indexer already
has (no second decode) and stored next to the vector.

Two thumbprints are compared by correlation of their *band-passed* cells: a one-cell
blur forgives the shift of a slight crop or turn, and subtracting a four-cell blur
removes the smooth gradients (sky, vignetting, studio backdrops) that would otherwise
make any two pictures on similar backgrounds agree. Each channel loses its mean, so
brightness and contrast changes do not count; quarter turns are tried too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

SIDE = 16
"""Cells per side: coarse enough to ignore re-encoding and small crops, fine enough to
tell where the objects are."""
CHANNELS = 3
SIZE = CHANNELS * SIDE * SIDE
FINE_BLUR = 1.0
"""Gaussian sigma in cells: a 6 % crop or a 4° turn moves edges by about a cell."""
COARSE_BLUR = 4.0
"""Gaussian sigma in cells of what is subtracted: the picture's smooth shading."""


def _cells(length: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    edges = np.linspace(0, length, SIDE + 1).round().astype(np.intp)
    return edges[:-1], np.diff(edges)


def thumbprint(pixels: NDArray[np.floating]) -> bytes:
    """The thumbprint of one model input (``(channels, height, width)``, any scaling: the
    picture is stretched to the full 0–255 range, so only its pattern counts)."""
    image = np.asarray(pixels, dtype=np.float64)
    if image.ndim == 2:
        image = image[None]
    if image.shape[0] != CHANNELS:  # grey (or more channels): one grey level, repeated
        image = np.repeat(image.mean(axis=0, keepdims=True), CHANNELS, axis=0)
    if min(image.shape[1:]) < SIDE:  # a tiny model input: repeat its pixels up to the grid
        image = np.repeat(image, -(-SIDE // image.shape[1]), axis=1)
        image = np.repeat(image, -(-SIDE // image.shape[2]), axis=2)
    (rows, row_counts), (cols, col_counts) = _cells(image.shape[1]), _cells(image.shape[2])
    cells = np.add.reduceat(np.add.reduceat(image, rows, axis=1), cols, axis=2)
    cells /= np.outer(row_counts, col_counts)
    low, high = float(cells.min()), float(cells.max())
    scaled = np.zeros_like(cells) if high - low < 1e-9 else (cells - low) / (high - low) * 255
    packed: bytes = scaled.round().astype(np.uint8).tobytes()
    return packed


def _blur_matrix(sigma: float) -> NDArray[np.float64]:
    """The ``SIDE × SIDE`` matrix of a Gaussian blur along one side (edges repeated):
    blurring a grid is ``M @ grid @ M.T``, a few small matrix products for any batch."""
    reach = int(3 * sigma + 0.5)
    offsets = range(-reach, reach + 1)
    weights = [float(np.exp(-(offset**2) / (2 * sigma * sigma))) for offset in offsets]
    total = sum(weights)
    matrix = np.zeros((SIDE, SIDE))
    for row in range(SIDE):
        for offset, weight in zip(offsets, weights, strict=True):
            matrix[row, min(max(row + offset, 0), SIDE - 1)] += weight / total
    return matrix


FINE = _blur_matrix(FINE_BLUR)
COARSE = _blur_matrix(COARSE_BLUR) @ FINE


def as_grids(prints: list[bytes]) -> NDArray[np.float32]:
    """Thumbprints as ``(n, CHANNELS, SIDE, SIDE)`` band-passed cells, each channel of zero
    mean, each grid of unit length (a flat thumbprint — one colour all over — stays all
    zeros: it matches nothing). A turn keeps the length: correlations are plain dots."""
    shape = (len(prints), CHANNELS, SIDE, SIDE)
    cells = np.frombuffer(b"".join(prints), dtype=np.uint8).reshape(shape).astype(np.float32)
    band = FINE.astype(np.float32) @ cells @ FINE.T.astype(np.float32)
    band -= COARSE.astype(np.float32) @ cells @ COARSE.T.astype(np.float32)
    band -= band.mean(axis=(2, 3), keepdims=True)
    norms = np.sqrt((band * band).sum(axis=(1, 2, 3), keepdims=True))
    unit: NDArray[np.float32] = np.divide(band, norms, out=np.zeros_like(band), where=norms > 1e-6)
    return unit


def layout_agreement(left: NDArray[np.float32], right: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per pair of grids (from :func:`as_grids`), the best correlation of ``left`` with
    ``right`` turned by any quarter turn, in [-1, 1]."""
    count = len(left)
    flat_left = left.reshape(count, -1)
    turns = [
        np.einsum("nk,nk->n", flat_left, np.rot90(right, turn, axes=(2, 3)).reshape(count, -1))
        for turn in range(4)
    ]
    best: NDArray[np.float32] = np.max(np.stack(turns), axis=0).astype(np.float32)
    return best
