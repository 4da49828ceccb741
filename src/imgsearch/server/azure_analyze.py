"""Azure AI Vision Image Analysis 4.0, wire-compatible: ``POST
/computervision/imageanalysis:analyze`` with Azure's query parameters (``api-version``,
``features``, ``language``, ``model-version``, ``gender-neutral-caption``,
``smartcrops-aspect-ratios``), bodies (raw bytes, or JSON ``{"url": …}``), key header,
error envelope and response shape, so that code written for Azure — Microsoft's own
``azure-ai-vision-imageanalysis`` client included — gets tags and text from imgsearch by
changing only the endpoint.

- ``features=tags``: the index's zero-shot tags (:mod:`imgsearch.tags`): each phrase of
  its vocabulary whose confidence — what a search for it would give the picture were it
  in the collection — clears the vocabulary's threshold, most confident first.
- ``features=read``: the OCR reader (PP-OCR through RapidOCR) as ``readResult.blocks[0]
  .lines[]`` with their text, a four-point ``boundingPolygon`` and ``words``. PP-OCR reads
  whole lines: each word's polygon is the line's box divided by character count, and its
  confidence the line's (documented in the README).
- Any other feature (``caption``, ``denseCaptions``, ``objects``, ``people``,
  ``smartCrops``) gets Azure's own answer for a feature a deployment does not offer: 400
  ``InvalidRequest`` / ``NotSupportedFeature``; a language other than English,
  ``NotSupportedLanguage``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from imgsearch.errors import ImageError
from imgsearch.media.decode import DecodeOptions, read_image
from imgsearch.server.auth import KeyCheck
from imgsearch.server.azure import AZURE_ERRORS, IMAGE_BODY, embedded, image_bytes, invalid
from imgsearch.server.errors import azure_not_found
from imgsearch.server.service import Service
from imgsearch.server.settings import MAX_IMAGE_BYTES, MAX_IMAGE_SIDE
from imgsearch.types import TextLine

API_VERSIONS = ("2023-02-01-preview", "2023-04-01-preview", "2023-07-01-preview", "2023-10-01")
FEATURES = ("caption", "denseCaptions", "objects", "people", "read", "smartCrops", "tags")
"""Azure's visual features (names compared without regard to case, as Azure does)."""
SERVED = ("tags", "read")


def router(service: Service, keys: KeyCheck) -> APIRouter:
    api = APIRouter(
        prefix="/computervision",
        tags=["Azure AI Vision compatible"],
        dependencies=[Depends(keys.dependency())],
        responses=AZURE_ERRORS,
    )
    reading = _Reading()

    @api.post(
        "/imageanalysis:analyze",
        summary="Analyze an image: tags and read text (Azure Image Analysis 4.0 compatible)",
        openapi_extra={"requestBody": IMAGE_BODY},
    )
    async def analyze(
        request: Request,
        api_version: str | None = Query(None, alias="api-version"),
        features: str | None = Query(None, description="tags, read (comma-separated)"),
        language: str | None = Query(None),
        model_version: str | None = Query(None, alias="model-version"),
        gender_neutral_caption: str | None = Query(None, alias="gender-neutral-caption"),
        smartcrops_aspect_ratios: str | None = Query(None, alias="smartcrops-aspect-ratios"),
    ) -> dict[str, Any]:
        """Body: raw image bytes (`application/octet-stream`) or JSON `{"url": …}`."""
        if api_version not in API_VERSIONS:
            raise azure_not_found()
        wanted = _features(features)
        if language not in (None, "", "en"):
            raise invalid(
                "NotSupportedLanguage",
                f"The input language {language!r} is not supported; this service answers in 'en'.",
            )
        if model_version not in (None, "latest", service.model_id):
            raise invalid(
                "InvalidModelVersion",
                f"The model version {model_version!r} is not served here; use 'latest' or "
                f"{service.model_id!r}.",
            )
        data = await image_bytes(request, service)
        if not data or len(data) > MAX_IMAGE_BYTES:
            raise invalid(
                "InvalidImageSize",
                f"The image size is not allowed to be zero or larger than {MAX_IMAGE_BYTES} bytes.",
            )
        vector = await embedded(service, data)  # checks the image as vectorize does
        width, height, rgb = await run_in_threadpool(_decoded, data, "read" in wanted)
        answer: dict[str, Any] = {
            "modelVersion": service.model_id,
            "metadata": {"width": width, "height": height},
        }
        if "tags" in wanted:
            judged = await run_in_threadpool(service.index.classify, vector)
            threshold = service.index.tag_vocabulary().threshold
            answer["tagsResult"] = {
                "values": [
                    {"name": tag, "confidence": confidence}
                    for tag, confidence in judged[0]
                    if confidence >= threshold
                ]
            }
        if "read" in wanted and rgb is not None:
            lines = await run_in_threadpool(reading.read, rgb, (width, height))
            answer["readResult"] = {"blocks": [{"lines": [_line(line) for line in lines]}]}
        return answer

    def _features(given: str | None) -> list[str]:
        names = [name.strip() for name in (given or "").split(",") if name.strip()]
        if not names:
            raise invalid(
                "InvalidParameter",
                "The 'features' query parameter is missing: ask for tags and/or read.",
            )
        canonical = {feature.lower(): feature for feature in FEATURES}
        unknown = [name for name in names if name.lower() not in canonical]
        if unknown:
            raise invalid(
                "InvalidParameter",
                f"Unknown visual feature {unknown[0]!r}; the features are {', '.join(FEATURES)}.",
            )
        wanted = [canonical[name.lower()] for name in names]
        served = [
            name
            for name in SERVED
            if (name != "read" or reading.available)
            and (name != "tags" or service.encoder.supports_text)
        ]
        refused = [name for name in wanted if name not in served]
        if refused:
            raise invalid(
                "NotSupportedFeature",
                f"The feature {refused[0]!r} is not supported by this service; it offers "
                f"{' and '.join(served) or 'none'}.",
            )
        return wanted

    return api


def _decoded(data: bytes, pixels: bool) -> tuple[int, int, np.ndarray | None]:
    """The picture's upright size, and its RGB pixels when text is to be read."""
    options = DecodeOptions(max_pixels=MAX_IMAGE_SIDE * MAX_IMAGE_SIDE)
    try:
        decoded = read_image(data, name="the uploaded image", pixels=pixels, options=options)
    except ImageError as error:
        raise invalid(
            "InvalidImageFormat", f"Input data is not a valid image: {error.reason}"
        ) from None
    rgb = None if decoded.rgb is None else np.asarray(decoded.rgb.convert("RGB"))
    return decoded.info.width, decoded.info.height, rgb


class _Reading:
    """The server's text reader for analyze calls, loaded on first use."""

    def __init__(self) -> None:
        from imgsearch.ocr.reader import ocr_available

        self.available = ocr_available()
        self._reader: Any = None
        self._lock = threading.Lock()

    def read(self, rgb: np.ndarray, size: tuple[int, int]) -> list[TextLine]:
        from imgsearch.ocr.reader import OcrFailed, TextReader

        with self._lock:
            if self._reader is None:
                self._reader = TextReader()
        try:
            lines: list[TextLine] = self._reader.read(rgb, size)
        except OcrFailed:
            return []
        return lines


def _polygon(x: float, y: float, w: float, h: float) -> list[dict[str, int]]:
    """A box as Azure's four corners, clockwise from the top left, in whole pixels."""
    left, top, right, bottom = round(x), round(y), round(x + w), round(y + h)
    return [
        {"x": left, "y": top},
        {"x": right, "y": top},
        {"x": right, "y": bottom},
        {"x": left, "y": bottom},
    ]


def _line(line: TextLine) -> dict[str, Any]:
    """A read line as Azure's ``DetectedTextLine``: its words placed along the line's box
    in proportion to their characters (the reader finds lines, not words)."""
    box = line.box
    words = line.text.split()
    characters = max(1, len(line.text))
    placed = []
    start = 0
    for word in words:
        begin = line.text.index(word, start)
        start = begin + len(word)
        x = box.x + box.w * begin / characters
        w = box.w * len(word) / characters
        placed.append(
            {
                "text": word,
                "boundingPolygon": _polygon(x, box.y, w, box.h),
                "confidence": round(float(line.confidence), 4),
            }
        )
    return {
        "text": line.text,
        "boundingPolygon": _polygon(box.x, box.y, box.w, box.h),
        "words": placed,
    }
