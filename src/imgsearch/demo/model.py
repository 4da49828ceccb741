"""The ``demo-shapes`` dual encoder: a small CNN image tower and a small transformer text tower.

Needs torch (the ``export`` extra). A CNN rather than a ViT for the image
tower because it learns colour + shape from a few minutes of CPU training:
convolutions see each object locally, and max-pooling their features over the
image says "a red circle is somewhere here" regardless of position or of the
other objects. The text tower is a bidirectional transformer over the
model's own BPE tokens, mean-pooled over real (unmasked) tokens, so word
order ("red circle and blue star" vs "blue circle and red star") can matter.
Both towers end in a linear projection into the shared space; vectors are
L2-normalised by the engine, as for every CLIP-family model.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class DemoModelConfig:
    image_size: int = 80
    channels: tuple[int, ...] = (32, 64, 96, 128, 128)
    strides: tuple[int, ...] = (2, 2, 2, 1, 1)
    vocab_size: int = 320
    context_length: int = 32
    text_width: int = 128
    text_layers: int = 2
    text_heads: int = 4
    dim: int = 64

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ImageTower(nn.Module):  # type: ignore[misc]
    """Pixels ``(n, 3, size, size)`` → embedding ``(n, dim)``."""

    def __init__(self, config: DemoModelConfig) -> None:
        super().__init__()
        layers, cin = [], 3
        for cout, stride in zip(config.channels, config.strides, strict=True):
            layers.append(_conv(cin, cout, stride))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.project = nn.Linear(2 * cin, config.dim)

    def forward(self, pixel_values: Tensor) -> Tensor:
        x = self.features(pixel_values)
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        out: Tensor = self.project(pooled)
        return out


class _Block(nn.Module):  # type: ignore[misc]
    """Pre-norm transformer block with explicit attention (exports to plain ONNX ops)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        n, length, width = x.shape
        head = width // self.heads
        q, k, v = (
            self.qkv(self.norm1(x)).reshape(n, length, 3, self.heads, head).permute(2, 0, 3, 1, 4)
        )
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head) + bias, dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(n, length, width)
        x = x + self.out(attended)
        out: Tensor = x + self.mlp(self.norm2(x))
        return out


class TextTower(nn.Module):  # type: ignore[misc]
    """Token ids + attention mask ``(n, length)`` → embedding ``(n, dim)``."""

    def __init__(self, config: DemoModelConfig) -> None:
        super().__init__()
        self.token = nn.Embedding(config.vocab_size, config.text_width)
        self.position = nn.Parameter(torch.randn(config.context_length, config.text_width) * 0.02)
        self.blocks = nn.ModuleList(
            _Block(config.text_width, config.text_heads) for _ in range(config.text_layers)
        )
        self.norm = nn.LayerNorm(config.text_width)
        self.project = nn.Linear(config.text_width, config.dim)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        x = self.token(input_ids) + self.position[: input_ids.shape[1]]
        mask = attention_mask.to(x.dtype)
        bias = (1.0 - mask)[:, None, None, :] * -1e4
        for block in self.blocks:
            x = block(x, bias)
        x = self.norm(x)
        pooled = (x * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        out: Tensor = self.project(pooled)
        return out


class DemoDualEncoder(nn.Module):  # type: ignore[misc]
    """Both towers plus CLIP's learnable temperature."""

    def __init__(self, config: DemoModelConfig) -> None:
        super().__init__()
        self.config = config
        self.image = ImageTower(config)
        self.text = TextTower(config)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
