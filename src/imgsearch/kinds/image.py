"""Still images: one picture, one vector. Read by the image pipeline
(:mod:`imgsearch.models.images`, decoded under its limits); the kind every file is that
no other kind claims, so a text file named ``.jpg`` is reported by the decoder."""

from __future__ import annotations

from imgsearch.kinds.base import MediaKind
from imgsearch.media.walk import IMAGE_EXTENSIONS


class ImageKind(MediaKind):
    name = "image"
    part = None
    extensions = IMAGE_EXTENSIONS

    def claims(self, head: bytes, suffix: str) -> bool:
        return True
