"""Turning image files and in-memory images into RGB pixels the models can use."""

from imgsearch.media.decode import (
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    DecodeOptions,
    ImageSource,
    describe_source,
    load_rgb,
    read_image,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DecodeOptions",
    "DecodedImage",
    "ImageSource",
    "describe_source",
    "load_rgb",
    "read_image",
]
