"""The torch modules that become a model's ONNX graphs: what each tower computes.

Image–text models (CLIP, SigLIP) give two towers into one space: pixels → the
image embedding, tokens → the text embedding. Image-only models give one:

* ResNet (``ResNetModel``): the pooled output of the last stage — global average
  pooling of the final feature map, 2048 numbers for ResNet-50 — the "pre-final
  layer" features image-similarity work uses;
* DINOv2 (``Dinov2Model``): the pooled output, i.e. the CLS token after the final
  layer norm (not the mean of the patch tokens): what DINOv2's authors evaluate
  retrieval with.

Every vector is L2-normalised after the graph, so cosine similarity is a dot product.
"""

from __future__ import annotations

from typing import Any

IMAGE_ONLY_TYPES = ("resnet", "dinov2")
IMAGE_TEXT_TYPES = ("clip", "siglip")


def _features(output: Any) -> Any:
    """transformers 5 returns a model output whose pooler_output holds the features."""
    return output if not hasattr(output, "pooler_output") else output.pooler_output


def image_text_towers(torch: Any, model: Any, is_siglip: bool) -> tuple[Any, Any]:
    class VisionTower(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: Any) -> Any:
            return _features(self.model.get_image_features(pixel_values=pixel_values))

    class TextTower(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any = None) -> Any:
            return _features(
                self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask)
            )

    class SiglipTextTower(torch.nn.Module):  # type: ignore[misc]
        """SigLIP reads fixed-length, padded ids without a mask, as its processor feeds it."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any) -> Any:
            return _features(self.model.get_text_features(input_ids=input_ids))

    return VisionTower().eval(), (SiglipTextTower() if is_siglip else TextTower()).eval()


def image_only_tower(torch: Any, model: Any) -> Any:
    """The one tower of a ResNet or DINOv2 model: pixels → ``(n, dim)`` features."""

    class VisionTower(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: Any) -> Any:
            pooled = self.model(pixel_values=pixel_values).pooler_output
            return pooled.flatten(1)  # ResNet pools to (n, channels, 1, 1)

    return VisionTower().eval()
