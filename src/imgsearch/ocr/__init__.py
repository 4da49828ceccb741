"""Text in images (OCR): the words printed in a picture, with where they are.

:mod:`.reader` runs RapidOCR (PP-OCRv4 detection, direction and recognition models on
ONNX Runtime, shipped inside the ``rapidocr-onnxruntime`` wheel: nothing is downloaded)
on a downscaled copy of an image and returns its lines of text with boxes in the
image's own pixels. Optional: ``pip install 'imgsearch[ocr]'`` then
``pip install --no-deps rapidocr-onnxruntime==1.4.4`` (see :data:`.reader.INSTALL`).
"""

from imgsearch.ocr.reader import (
    DEFAULT_MAX_SIDE,
    DEFAULT_MIN_CONFIDENCE,
    INSTALL,
    TextReader,
    ocr_available,
)
from imgsearch.types import TextLine

__all__ = [
    "DEFAULT_MAX_SIDE",
    "DEFAULT_MIN_CONFIDENCE",
    "INSTALL",
    "TextLine",
    "TextReader",
    "ocr_available",
]
