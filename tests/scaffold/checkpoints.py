"""Randomly initialised CLIP and SigLIP checkpoints with locally trained tokenizers, and
image-only ResNet and DINOv2 checkpoints.

For tests, benchmarks and offline demos (needs the ``export`` extra). They use
the real transformers architectures, tokenizer classes and image processors,
so exporting and loading them runs exactly the code a downloaded checkpoint
does. ``preset="vit-b-32"`` has the exact shape of OpenAI's CLIP ViT-B/32
(random weights cost the same compute as trained ones); ``"tiny"`` is a
two-layer model that exports in seconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

CLIP_PRESETS: dict[str, dict[str, int]] = {
    "tiny": {
        "image_size": 64,
        "patch": 16,
        "vision_width": 32,
        "vision_layers": 2,
        "vision_heads": 2,
        "text_width": 32,
        "text_layers": 2,
        "text_heads": 2,
        "text_vocab": 0,
        "dim": 24,
    },
    # OpenAI CLIP ViT-B/32 (openai/clip-vit-base-patch32), layer for layer.
    "vit-b-32": {
        "image_size": 224,
        "patch": 32,
        "vision_width": 768,
        "vision_layers": 12,
        "vision_heads": 12,
        "text_width": 512,
        "text_layers": 12,
        "text_heads": 8,
        "text_vocab": 49408,
        "dim": 512,
    },
}

CORPUS = [
    "a photo of a red circle on a white background",
    "a blue square next to a green triangle",
    "two dogs playing in the park",
    "a cat sleeping on the sofa",
    "golden retriever swimming in a pool",
    "sunset over the mountains with clouds",
    "a yellow star and an orange hexagon",
    "street at night with neon lights",
    "Ein Hund läuft über die Wiese",
    "un chat noir sur le toit",
] * 20


def build_clip_checkpoint(
    folder: Path, *, preset: str = "tiny", seed: int = 0, corpus: Sequence[str] = ()
) -> Path:
    """Write a random CLIPModel + trained CLIPTokenizer + CLIP image processor to ``folder``.

    Without ``corpus`` the tokenizer has a 400-token vocabulary (tests only need it to
    work). A benchmark passes the texts it will encode: the vocabulary then grows up to
    CLIP's 49,408 tokens so that, as with OpenAI's tokenizer, each common word of those
    texts is one token — the text tower's cost grows with the token count.
    """
    shape = CLIP_PRESETS[preset]
    image_size = shape["image_size"]
    import torch
    from tokenizers import pre_tokenizers, trainers
    from transformers import (
        CLIPConfig,
        CLIPImageProcessorPil,
        CLIPModel,
        CLIPTextConfig,
        CLIPTokenizer,
        CLIPVisionConfig,
    )

    # Train a small BPE vocabulary inside the real CLIP tokenizer pipeline.
    seed_vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    tokenizer = CLIPTokenizer(vocab=seed_vocab, merges=[])
    trainer = trainers.BpeTrainer(
        vocab_size=49_408 if corpus else 400,
        special_tokens=["<|startoftext|>", "<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix="</w>",
        show_progress=False,
    )
    backend = tokenizer.backend_tokenizer
    backend.train_from_iterator([*CORPUS, *corpus], trainer=trainer)
    vocab = backend.get_vocab()
    merges = json.loads(backend.to_str())["model"]["merges"]
    tokenizer = CLIPTokenizer(
        vocab=vocab,
        merges=[tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges],
        model_max_length=77,
    )

    torch.manual_seed(seed)
    text = CLIPTextConfig(
        vocab_size=max(len(vocab), shape["text_vocab"]),
        hidden_size=shape["text_width"],
        intermediate_size=shape["text_width"] * 4,
        num_hidden_layers=shape["text_layers"],
        num_attention_heads=shape["text_heads"],
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = CLIPVisionConfig(
        hidden_size=shape["vision_width"],
        intermediate_size=shape["vision_width"] * 4,
        num_hidden_layers=shape["vision_layers"],
        num_attention_heads=shape["vision_heads"],
        image_size=image_size,
        patch_size=shape["patch"],
    )
    config = CLIPConfig(
        text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=shape["dim"]
    )
    model = CLIPModel(config).eval()
    processor = CLIPImageProcessorPil(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_siglip_checkpoint(folder: Path, *, image_size: int = 64, seed: int = 1) -> Path:
    """Write a tiny SiglipModel, a trained Unigram tokenizer and the SigLIP image processor."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from tokenizers.processors import TemplateProcessing
    from transformers import (
        PreTrainedTokenizerFast,
        SiglipConfig,
        SiglipImageProcessorPil,
        SiglipModel,
        SiglipTextConfig,
        SiglipVisionConfig,
    )

    backend = Tokenizer(models.Unigram())
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    backend.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=300,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer=trainer)
    eos = backend.token_to_id("</s>")
    backend.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", eos)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="</s>",
        pad_token="</s>",
        unk_token="<unk>",
        model_max_length=16,
    )

    torch.manual_seed(seed)
    text = SiglipTextConfig(
        vocab_size=backend.get_vocab_size(),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=16,
        projection_size=32,
    )
    vision = SiglipVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=16,
    )
    config = SiglipConfig(text_config=text.to_dict(), vision_config=vision.to_dict())
    model = SiglipModel(config).eval()
    processor = SiglipImageProcessorPil(size={"height": image_size, "width": image_size})
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_resnet_checkpoint(folder: Path, *, image_size: int = 64, seed: int = 2) -> Path:
    """Write a tiny ResNetModel and ResNet's own image processor (ConvNeXt's, with
    ``crop_pct``: resize the short side to size / 0.875, crop the centre)."""
    import torch
    from transformers import ConvNextImageProcessorPil, ResNetConfig, ResNetModel

    torch.manual_seed(seed)
    config = ResNetConfig(
        embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic"
    )
    ResNetModel(config).eval().save_pretrained(folder)
    ConvNextImageProcessorPil(size={"shortest_edge": image_size}, crop_pct=0.875).save_pretrained(
        folder
    )
    return folder


def build_dinov2_checkpoint(folder: Path, *, image_size: int = 56, seed: int = 3) -> Path:
    """Write a tiny Dinov2Model and DINOv2's image processor (BiT's: resize the short side,
    crop the centre)."""
    import torch
    from transformers import BitImageProcessorPil, Dinov2Config, Dinov2Model

    torch.manual_seed(seed)
    config = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        mlp_ratio=2,
        patch_size=14,
        image_size=image_size,
    )
    Dinov2Model(config).eval().save_pretrained(folder)
    BitImageProcessorPil(
        size={"shortest_edge": image_size + 8},
        crop_size={"height": image_size, "width": image_size},
    ).save_pretrained(folder)
    return folder
