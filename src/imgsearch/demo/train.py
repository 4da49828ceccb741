"""Train the ``demo-shapes`` model: tokenizer, contrastive training, export, evaluation.

Needs the ``export`` extra (torch). Steps, all reproducible from one seed:

1. a BPE tokenizer is trained with ``tokenizers`` on captions of generated scenes;
2. a pool of scenes is drawn at their file size and preprocessed exactly as the
   engine will (squash resize to the model's input, bicubic), each with one
   object cut out by its box plus random padding, so that a box drawn around
   an object is a kind of image the model has seen;
3. the dual encoder (:mod:`imgsearch.demo.model`) is trained with the CLIP
   contrastive loss. Captions are drawn afresh every step from several
   phrasings (the full caption, the objects only, one or two objects, a shape,
   a colour), so a batch often holds texts that truly describe several of its
   images ("red circle" and three images with a red circle). Plain CLIP would
   push those apart; here every text–image pair whose text is true of the
   image is a positive, and each row's target spreads evenly over its positives
   (a multi-positive InfoNCE; with one positive per row it is CLIP's loss).
   With ``hard_negatives`` > 0 a batch also carries *hard negatives*: texts that
   swap attributes between the objects of a scene ("a red star" for a red cross
   beside a yellow star) or change one attribute of a cut-out object ("a red
   square" for a red circle). They are columns an image must rank below its true
   texts (and rows only for images they happen to be true of), meant to teach the
   model to bind a colour to its shape. Measured at 0.5: precision@10 rose for
   every query kind, but whole-image vectors still did not bind (BENCHMARKS.md),
   so the shipped model is trained without them;
4. the towers are exported with the project's own exporter (ONNX, verified
   against torch), evaluated on a held-out generated collection through the
   normal :class:`~imgsearch.Embedder`, and the numbers are written into the
   model's manifest.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from imgsearch.demo.batches import Pool, build_pool, draw_batch, truth
from imgsearch.demo.captions import (
    PREFIXES,
    scene_text,
    training_vocabulary,
)
from imgsearch.demo.collection import generate_collection
from imgsearch.demo.evaluate import Evaluation, evaluate
from imgsearch.demo.model import DemoDualEncoder, DemoModelConfig
from imgsearch.demo.shapes import (
    COLOURS,
    SHAPES,
    SIZES,
    TONES,
    sample_scene,
)
from imgsearch.models.embedder import Embedder
from imgsearch.models.export import export_towers
from imgsearch.models.layout import write_manifest
from imgsearch.models.preprocess import ImagePreprocess
from imgsearch.models.tokenizer import TextPreprocess, TextTokenizer

MODEL_ID = "demo-shapes"
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    scenes: int = 8000
    steps: int = 1800
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 0.05
    crop_share: float = 0.45
    hard_negatives: float = 0.0
    """Share of batch rows that add a swapped-attribute text (0: none, as the shipped model
    was trained; 0.5 improved precision@10 but not attribute binding: BENCHMARKS.md)."""
    eval_images: int = 1500
    model: DemoModelConfig = field(default_factory=DemoModelConfig)


@dataclass(frozen=True)
class TrainResult:
    out: Path
    evaluation: Evaluation
    seconds: float
    final_loss: float


# -- what a text says and what an image shows, as sets of atoms ---------------


# -- tokenizer -----------------------------------------------------------------


def train_tokenizer(seed: int, vocab_size: int) -> Tokenizer:
    """A lower-casing BPE tokenizer over caption words, with [BOS] … [EOS] added."""
    rng = random.Random(f"tokenizer/{seed}")
    corpus = []
    for i in range(3000):
        scene = sample_scene(random.Random(f"tokenizer/{seed}/{i}"))
        corpus.append(scene.caption)
        corpus.append(scene_text(scene, rng)[0])
    corpus += list(PREFIXES) + list(COLOURS) + list(SHAPES) + list(TONES) + list(SIZES)
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.decoder = decoders.BPEDecoder()
    alphabet = list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()&/")
    tokenizer.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=SPECIAL_TOKENS,
            initial_alphabet=alphabet,
            show_progress=False,
        ),
    )
    bos, eos = tokenizer.token_to_id("[BOS]"), tokenizer.token_to_id("[EOS]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[BOS] $A [EOS]", special_tokens=[("[BOS]", bos), ("[EOS]", eos)]
    )
    return tokenizer


# -- training ------------------------------------------------------------------


def train(
    out: Path, config: TrainConfig = TrainConfig(), *, progress: Progress | None = None
) -> TrainResult:
    """Train, export to ``out`` (imgsearch layout), evaluate, record the numbers."""
    say = progress or (lambda _: None)
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    model_config = config.model
    preprocess = ImagePreprocess(
        size=model_config.image_size, resize="squash", shortest_edge=model_config.image_size
    )
    text_config = TextPreprocess(context_length=model_config.context_length, pad_token="[PAD]")
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer_path = Path(scratch) / "tokenizer.json"
        tokenizer = train_tokenizer(config.seed, model_config.vocab_size)
        tokenizer.save(str(tokenizer_path))
        vocab_size = tokenizer.get_vocab_size()
        model_config = DemoModelConfig(**{**model_config.to_dict(), "vocab_size": vocab_size})
        tokenize = TextTokenizer(tokenizer_path, text_config)
        say(f"tokenizer: {vocab_size} tokens; drawing {config.scenes} training scenes")
        pool = build_pool(config.seed, config.scenes, model_config.image_size)
        say(f"training for {config.steps} steps of {config.batch_size}")
        model = DemoDualEncoder(model_config).to(memory_format=torch.channels_last)
        final_loss = _fit(model, pool, tokenize, preprocess, config, say)
        say("exporting to ONNX and verifying against torch")
        export_towers(
            model.image,
            model.text,
            out,
            image=preprocess,
            text=text_config,
            tokenizer_json=tokenizer_path,
            vocab_size=vocab_size,
            model_id=MODEL_ID,
            source="imgsearch demo train",
            architecture="imgsearch-demo-dual-encoder",
        )
    seconds = time.perf_counter() - started
    say(f"evaluating on a held-out collection of {config.eval_images} images")
    with tempfile.TemporaryDirectory() as scratch:
        held_out = generate_collection(
            Path(scratch) / "held-out", config.eval_images, seed=config.seed + 1_000_000
        )
        evaluation = evaluate(Embedder(out, offline=True), held_out)
    _record(out, config, model_config, evaluation, seconds, final_loss)
    return TrainResult(out, evaluation, seconds, final_loss)


def _fit(
    model: DemoDualEncoder,
    pool: Pool,
    tokenize: TextTokenizer,
    preprocess: ImagePreprocess,
    config: TrainConfig,
    say: Progress,
) -> float:
    rng = random.Random(f"batches/{config.seed}")
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "position" not in n]
    rest = [p for n, p in model.named_parameters() if p.ndim < 2 or "position" in n]
    optimiser = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": rest, "weight_decay": 0},
        ],
        lr=config.learning_rate,
    )
    warmup = max(1, config.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: (
            min(1.0, (step + 1) / warmup)
            * 0.5
            * (1 + math.cos(math.pi * min(step, config.steps) / config.steps))
        ),
    )
    mean = torch.tensor(preprocess.mean).view(1, 3, 1, 1)
    std = torch.tensor(preprocess.std).view(1, 3, 1, 1)
    model.train()
    recent: list[float] = []
    for step in range(config.steps):
        pixels, texts, text_atoms, image_atoms = draw_batch(
            pool, rng, config.batch_size, config.crop_share, config.hard_negatives
        )
        tokens = tokenize(texts)
        images = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0
        images = ((images - mean) / std).contiguous(memory_format=torch.channels_last)
        image_vectors = torch.nn.functional.normalize(model.image(images), dim=-1)
        text_vectors = torch.nn.functional.normalize(
            model.text(torch.from_numpy(tokens.input_ids), torch.from_numpy(tokens.attention_mask)),
            dim=-1,
        )
        scale = model.logit_scale.clamp(max=math.log(100)).exp()
        logits = scale * image_vectors @ text_vectors.T  # rows: images, columns: texts
        positive = torch.from_numpy(truth(text_atoms, image_atoms)).T  # [image, text]
        texts_with_match = positive.sum(dim=0) > 0  # hard negatives true of no image: no row
        loss = 0.5 * (
            _soft_cross_entropy(logits, positive)
            + _soft_cross_entropy(logits.T[texts_with_match], positive.T[texts_with_match])
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        recent = [*recent[-49:], loss.item()]
        if (step + 1) % 100 == 0 or step + 1 == config.steps:
            say(f"step {step + 1}/{config.steps}: loss {np.mean(recent):.3f}")
    model.eval()
    return float(np.mean(recent))


def _soft_cross_entropy(logits: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    target = positive / positive.sum(dim=1, keepdim=True)
    loss: torch.Tensor = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    return loss


def _record(
    out: Path,
    config: TrainConfig,
    model_config: DemoModelConfig,
    evaluation: Evaluation,
    seconds: float,
    final_loss: float,
) -> None:
    """Add training facts and evaluation results to the manifest (checksums recomputed)."""
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text("utf-8"))
    files = list(manifest.pop("files"))
    manifest.pop("format", None)
    manifest["training"] = {
        **{k: v for k, v in asdict(config).items() if k != "model"},
        "model": model_config.to_dict(),
        "final_loss": round(final_loss, 4),
        "seconds": round(seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "command": "imgsearch demo train",
    }
    manifest["evaluation"] = evaluation.to_dict()
    manifest["vocabulary"] = training_vocabulary().as_dict()
    write_manifest(out, manifest, files)
