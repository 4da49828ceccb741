"""Image preprocessing exactly as each model family's own processor does it.

CLIP (``resize="shortest"``): bicubic resize of the short side to
``shortest_edge`` (long side ``int(shortest_edge * long / short)``), centre
crop to ``size``×``size`` (offsets ``(extra) // 2``), scale to 0..1, subtract
``mean`` and divide by ``std``. SigLIP (``resize="squash"``): bicubic resize
straight to ``size``×``size``, then the same rescale and normalisation with its
own mean/std. Both match transformers' image processors to within float32
rounding (tests/models/test_preprocess_parity.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.errors import UnrecognizedModelLayout

ResizeMode = Literal["shortest", "squash"]

OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}
# transformers stores PIL's resampling enum as an int in preprocessor_config.json.
_RESAMPLE_BY_PIL_ID = {int(v): k for k, v in _RESAMPLE.items()}


@dataclass(frozen=True)
class ImagePreprocess:
    """What a model's vision tower expects; stored in every model manifest.

    ``size`` is the square input side in pixels; ``shortest_edge`` the size the
    short side is resized to before the centre crop (``resize="shortest"``
    only, usually equal to ``size``).
    """

    size: int = 224
    resize: ResizeMode = "shortest"
    shortest_edge: int = 224
    mean: tuple[float, float, float] = OPENAI_CLIP_MEAN
    std: tuple[float, float, float] = OPENAI_CLIP_STD
    resample: str = "bicubic"
    rescale_factor: float = 1 / 255

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImagePreprocess:
        return cls(
            size=int(data["size"]),
            resize=data.get("resize", "shortest"),
            shortest_edge=int(data.get("shortest_edge", data["size"])),
            mean=_triple(data["mean"]),
            std=_triple(data["std"]),
            resample=str(data.get("resample", "bicubic")),
            rescale_factor=float(data.get("rescale_factor", 1 / 255)),
        )

    @classmethod
    def from_hf_processor(cls, config: dict[str, Any]) -> ImagePreprocess:
        """From transformers' ``preprocessor_config.json`` (the CLIP, SigLIP, BiT — DINOv2's —
        and ConvNeXt — ResNet's — processors)."""
        size = config.get("size", {})
        crop = config.get("crop_size") or {}
        resample = _RESAMPLE_BY_PIL_ID.get(int(config.get("resample", 3)), "bicubic")
        mean = _triple(config.get("image_mean", OPENAI_CLIP_MEAN))
        std = _triple(config.get("image_std", OPENAI_CLIP_STD))
        rescale = float(config.get("rescale_factor", 1 / 255))
        if isinstance(size, int):
            size = {"shortest_edge": size}
        crop_pct = config.get("crop_pct")
        if "shortest_edge" in size and crop_pct:
            # ConvNeXt's processor (ResNet checkpoints use it): below 384 px, resize the
            # short side to shortest_edge / crop_pct and crop the centre shortest_edge
            # square; from 384 px up, squash to the square without cropping.
            side = int(size["shortest_edge"])
            if side >= 384:
                return cls(side, "squash", side, mean, std, resample, rescale)
            return cls(side, "shortest", int(side / float(crop_pct)), mean, std, resample, rescale)
        if "shortest_edge" in size and config.get("do_center_crop", True):
            side = (
                int(crop.get("height", size["shortest_edge"]))
                if crop
                else int(size["shortest_edge"])
            )
            return cls(side, "shortest", int(size["shortest_edge"]), mean, std, resample, rescale)
        if "height" in size and "width" in size:
            if size["height"] != size["width"]:
                raise UnrecognizedModelLayout(
                    f"non-square model input {size['width']}x{size['height']} is not supported"
                )
            side = int(size["height"])
            return cls(side, "squash", side, mean, std, resample, rescale)
        raise UnrecognizedModelLayout(
            f"cannot read the image size from the processor config {size}"
        )

    @classmethod
    def from_open_clip(cls, config: dict[str, Any]) -> ImagePreprocess:
        """From an open_clip / immich ``preprocess_cfg.json``."""
        size = config["size"]
        side = int(size[0] if isinstance(size, list) else size)
        mode = config.get("resize_mode", "shortest")
        resize: ResizeMode = "squash" if mode == "squash" else "shortest"
        return cls(
            size=side,
            resize=resize,
            shortest_edge=side,
            mean=_triple(config.get("mean", OPENAI_CLIP_MEAN)),
            std=_triple(config.get("std", OPENAI_CLIP_STD)),
            resample=str(config.get("interpolation", "bicubic")),
        )


def _triple(values: Any) -> tuple[float, float, float]:
    if isinstance(values, int | float):
        return (float(values), float(values), float(values))
    a, b, c = (float(v) for v in values)
    return (a, b, c)


class Preprocessor:
    """Turns upright RGB images into the float32 CHW arrays a vision graph takes."""

    def __init__(self, config: ImagePreprocess) -> None:
        self.config = config
        self._resample = _RESAMPLE[config.resample]
        std = np.asarray(config.std, dtype=np.float32)
        mean = np.asarray(config.mean, dtype=np.float32)
        # One fused multiply-add per pixel: (x * rescale - mean) / std.
        self._scale = (np.float32(config.rescale_factor) / std).reshape(3, 1, 1)
        self._shift = (mean / std).reshape(3, 1, 1)

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) an image of that size is resized to before cropping."""
        c = self.config
        if c.resize == "squash":
            return c.size, c.size
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(c.shortest_edge * long / short)
        return (c.shortest_edge, new_long) if width <= height else (new_long, c.shortest_edge)

    def __call__(self, image: Image.Image) -> NDArray[np.float32]:
        """``(3, size, size)`` float32, normalised; ``image`` must be RGB."""
        c = self.config
        target = self.resized_size(image.width, image.height)
        if target != image.size:
            image = image.resize(target, resample=self._resample)
        if c.resize == "shortest":
            left = (image.width - c.size) // 2
            top = (image.height - c.size) // 2
            image = image.crop((left, top, left + c.size, top + c.size))
        pixels = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
        out: NDArray[np.float32] = pixels * self._scale - self._shift
        return out
