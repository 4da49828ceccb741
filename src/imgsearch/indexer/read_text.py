"""Reading the text in images while indexing (OCR), within the decode pass.

An image the model must see is decoded once, as the model needs it (large JPEGs at
reduced scale); the reader's first look works from that copy, on the decode worker
threads, overlapped with the model. Only a picture where the look sees text is decoded
again, from the bytes already in memory, at the scale the reader reads (at most its
``max_side``). The text is written with the image, in its batch.

What a run did not decode — images indexed before OCR was turned on, duplicates whose
twin's vector served, images read with other settings — is read afterwards by
:func:`read_missing_text`, a batch at a time, so a killed run resumes where it stopped.

Reading text never fails an image: an error becomes a warning kept with it (and the
image is not read again until it changes or the reader's settings do).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import ImageError
from imgsearch.media.decode import read_image
from imgsearch.media.metadata import ImageInfo
from imgsearch.media.sources import too_large
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.ocr.policy import TextPolicy
from imgsearch.ocr.reader import OcrFailed, TextReader
from imgsearch.store import Store, StoredFile, TextSet, WriteBatch
from imgsearch.types import TextLine

WRITE_EVERY = 32
"""Images whose text one transaction of :func:`read_missing_text` writes."""


@dataclass(frozen=True)
class TextRead:
    """What reading one image's text gave: its lines, or why it could not be read."""

    lines: list[TextLine]
    warning: str | None = None


@dataclass
class TextReport:
    """Images whose text was read, how many hold some, how many could not be read."""

    read: int = 0
    with_text: int = 0
    warnings: int = 0

    def count(self, text: TextRead) -> None:
        self.read += 1
        self.with_text += bool(text.lines)
        self.warnings += text.warning is not None

    def add(self, other: TextReport) -> None:
        self.read += other.read
        self.with_text += other.with_text
        self.warnings += other.warnings


@dataclass(frozen=True)
class TextStatus:
    """What an index knows of the text in its pictures (``imgsearch status``)."""

    on_runs: bool
    """Whether index runs read it (as the index was told last)."""
    counts: TextReport
    warnings: list[tuple[str, str]]
    """Pictures whose text could not be read, and why (as many as were asked for)."""


@dataclass(frozen=True)
class TextReading:
    """The reader a run uses, and the stamp its text is stored with."""

    reader: TextReader
    stamp: str


def decode_with_text(
    data: bytes, name: str, images: ImagePipeline, reading: TextReading, *, pixels: bool = True
) -> tuple[ImageInfo, Pixels | None, TextRead]:
    """An image's facts, its model input (unless ``pixels=False``) and its text; raises
    :class:`~imgsearch.errors.ImageError` for a bad image.

    The model input is exactly the one a run without reading text makes: the same bytes
    through the model's own decode (a vector must not depend on which readers ran: a
    JPEG decoded at the reader's draft scale and shrunk to its copy once gave cosines of
    0.9987, enough to reorder hits). The reader's copy is decoded from the bytes in memory
    at the scale of its first look — shared with the model only where no scale is chosen
    (not a JPEG) and nothing is shrunk — and, when the look sees text and that copy is
    smaller than the reader reads, decoded again at the reading's scale: most photos
    hold no text."""
    reader = reading.reader
    info, rgb = _decode(data, name, images, max(1, reader.look_side // 2), reader.max_side)
    size = (info.width, info.height)
    model_input = None
    if pixels:
        shared = info.format not in DRAFTED_FORMATS and rgb.shape[:2] == (size[1], size[0])
        model_input = images.read_image(rgb if shared else data, name=name)[1]
    try:
        if not reader.looks_like_text(rgb):
            return info, model_input, TextRead([])
        if max(rgb.shape[:2]) < min(reader.max_side, max(size)) - 1:  # decoded reduced
            del rgb
            _, rgb = _decode(data, name, images, max(1, reader.max_side // 2), reader.max_side)
        return info, model_input, TextRead(reader.read(rgb, size, look=False))
    except OcrFailed as exc:
        return info, model_input, TextRead([], exc.message)


DRAFTED_FORMATS = ("JPEG", "MPO")
"""Formats decoded at a scale chosen for the reader (libjpeg's draft mode)."""


def _decode(
    data: bytes, name: str, images: ImagePipeline, min_short_edge: int, max_side: int
) -> tuple[ImageInfo, NDArray[np.uint8]]:
    """The upright RGB picture, decoded at a scale that keeps ``min_short_edge`` (times the
    decode options' draft factor), as an array whose long side is at most ``max_side``."""
    with images.decode_slot():
        decoded = read_image(
            data, name=name, min_short_edge=min_short_edge, options=images.decode_options
        )
    info, rgb = decoded.info, decoded.rgb
    del decoded  # the full decode is freed once the bounded copy exists
    assert rgb is not None
    return info, _bounded(rgb, max_side)


def _bounded(rgb: Image.Image, max_side: int) -> NDArray[np.uint8]:
    scale = max_side / max(rgb.size)
    if scale < 1:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(rgb)


def read_missing_text(
    store: Store,
    images: ImagePipeline,
    reading: TextReading,
    roots: Sequence[str],
    *,
    select: Callable[[str], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> TextReport:
    """Read the text of the still images under ``roots`` (those ``select`` accepts) whose
    current bytes were not read with ``reading``'s stamp. A file that changed since it was
    indexed is left for the next index run; one that vanished, too."""
    todo = [f for f in store.texts.unread(reading.stamp, roots) if select is None or select(f.path)]
    report = TextReport()
    batch: list[TextSet] = []

    def read_one(stored: StoredFile) -> TextSet | None:
        limit = images.decode_options.max_file_bytes
        try:
            size = Path(stored.path).stat().st_size
            if limit is not None and size > limit:  # not even read
                raise too_large(size, limit, stored.path)
            data = Path(stored.path).read_bytes()
        except (OSError, ImageError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        if digest != stored.digest:
            return None
        try:
            _, _, text = decode_with_text(data, stored.path, images, reading, pixels=False)
        except ImageError as exc:
            text = TextRead([], exc.reason)
        report.count(text)
        return TextSet(text.lines, reading.stamp, digest, image_id=stored.id, warning=text.warning)

    for done, future in enumerate(images.read_ahead(read_one, todo), 1):
        found = future.result()
        if found is not None:
            batch.append(found)
        if len(batch) >= WRITE_EVERY:
            store.write(WriteBatch(texts=batch))
            batch = []
        if on_progress is not None:
            on_progress(done, len(todo))
    if batch:
        store.write(WriteBatch(texts=batch))
    return report


def text_reading(
    store: Store, read: bool | None, loaded: TextReading | None = None
) -> TextReading | None:
    """The reading the store's text policy asks for (``read``: turn it on or off first, and
    remember that), reusing ``loaded`` when its settings are the policy's; ``None`` when
    the index does not read text. Raises :class:`~imgsearch.ocr.reader.OcrUnavailable`
    (before anything is stored) when reading is asked for and RapidOCR is missing."""
    policy = TextPolicy.from_dict(store.documents.get("text_policy"))
    wanted = policy if read is None else replace(policy, read=read)
    reading = None
    if wanted.read:
        reading = loaded
        if reading is None or reading.stamp != wanted.stamp:
            reader = TextReader(
                max_side=wanted.max_side,
                min_confidence=wanted.min_confidence,
                look_side=wanted.look_side,
            )
            reading = TextReading(reader, wanted.stamp)
    if wanted != policy:
        store.documents.put("text_policy", wanted.as_dict())
    return reading
