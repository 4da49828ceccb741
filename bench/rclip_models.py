"""Random models in rclip's layout, so rclip's own cold search can be the reference row of
``bench/cold.py`` (issue 20) without a download.

rclip 3.x runs OpenCLIP ViT-B-32-256 on ONNX Runtime: ``visual.onnx`` (input ``input``,
float32 [N, 3, 256, 256]) and ``textual.onnx`` (input ``input``, int64 [N, 77] tokens,
pooled at the end-of-text token, the highest id) under
``$RCLIP_DATADIR/ViT-B-32-256-datacomp_s34b_b86k/``, and OpenAI's BPE merges at
``$RCLIP_DATADIR/tokenizer/bpe_simple_vocab_16e6.txt.gz``. This writes the same
architecture with random weights: the text tower is the one of the random ViT-B/32 that
``bench/embed.py`` builds for imgsearch (``.bench/vit-b-32-v2-checkpoint``), the vision
tower is that shape at 256 px (65 tokens instead of 50, as rclip's model). The merges are
that checkpoint's (trained on the benchmark's query corpus) padded with made-up merges to
the 48,894 lines rclip keeps (and the file to the 262,145 lines it reads and splits), so
its tokenizer loads as much as it does with the real file. Both graphs are fp32, like the imgsearch row it is compared with.

    python bench/rclip_models.py --datadir .bench/rclip-data
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py would shadow the standard library's `http` (see bench/embed.py)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import torch
from transformers import (
    CLIPTextConfig,
    CLIPTextModelWithProjection,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
)

CHECKPOINT = Path(".bench/vit-b-32-v2-checkpoint")
MODEL_SUBDIR = "ViT-B-32-256-datacomp_s34b_b86k"
FILE_LINES = 262_145  # lines of OpenAI's file, all read and split before most are dropped


class _Tower(torch.nn.Module):
    """One tower with rclip's interface: ``input`` in, the projected embedding out."""

    def __init__(self, model: torch.nn.Module, keyword: str) -> None:
        super().__init__()
        self.model, self.keyword = model, keyword

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        output = self.model(**{self.keyword: batch})
        return output.text_embeds if self.keyword == "input_ids" else output.image_embeds


def _export(tower: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    torch.onnx.export(
        tower, (example,), str(path), input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=17,
        dynamo=False,
    )  # fmt: skip


def _merges(checkpoint: Path) -> list[str]:
    """The checkpoint's merges, then made-up ones (see the module docstring)."""
    model = json.loads((checkpoint / "tokenizer.json").read_text())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while len(merges) < FILE_LINES:
        first = letters[n % 26] + letters[(n // 26) % 26] + letters[(n // 676) % 26]
        merges.append(f"{first} {letters[(n // 17576) % 26]}</w>")
        n += 1
    return merges[:FILE_LINES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datadir", type=Path, required=True)
    parser.add_argument("--checkpoint", type=Path, default=CHECKPOINT)
    args = parser.parse_args()
    folder = args.datadir / MODEL_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = json.loads((args.checkpoint / "config.json").read_text())
    text_config = CLIPTextConfig(**{**config["text_config"], "eos_token_id": 2})  # argmax pooling
    text = CLIPTextModelWithProjection(text_config).eval()
    vision_config = CLIPVisionConfig(**{**config["vision_config"], "image_size": 256})
    vision = CLIPVisionModelWithProjection(vision_config).eval()
    with torch.no_grad():
        tokens = torch.zeros((1, 77), dtype=torch.int64)
        tokens[0, :3] = torch.tensor([49406, 320, 49407])
        _export(_Tower(text, "input_ids"), tokens, folder / "textual.onnx")
        pixels = torch.randn(1, 3, 256, 256)
        _export(_Tower(vision, "pixel_values"), pixels, folder / "visual.onnx")
    vocab = args.datadir / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz"
    vocab.parent.mkdir(exist_ok=True)
    with gzip.open(vocab, "wt", encoding="utf-8") as sink:
        sink.write("#version: 0.2\n" + "\n".join(_merges(args.checkpoint)) + "\n")
    for path in (folder / "textual.onnx", folder / "visual.onnx", vocab):
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
