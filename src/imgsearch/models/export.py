"""Convert a transformers checkpoint to imgsearch's layout: image–text models (CLIP, SigLIP)
with both towers, image-only ones (ResNet, DINOv2) with a vision tower alone.

Needs the ``export`` extra (torch + transformers). Each tower is exported with
``torch.onnx.export`` to its own graph with dynamic batch (and sequence) axes,
then run on random inputs next to the torch model; the export is refused when
the normalised embeddings differ by more than ``atol``. The manifest records
the model id, embedding dim, preprocessing, library versions and a SHA-256 of
every file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imgsearch.errors import ExportError
from imgsearch.models.layout import external_weights, write_manifest
from imgsearch.models.preprocess import ImagePreprocess
from imgsearch.models.quantize import quantize_graph
from imgsearch.models.tokenizer import TextPreprocess
from imgsearch.models.towers import (
    IMAGE_ONLY_TYPES,
    IMAGE_TEXT_TYPES,
    image_only_tower,
    image_text_towers,
)

SUPPORTED_TYPES = IMAGE_TEXT_TYPES + IMAGE_ONLY_TYPES
DEFAULT_OPSET = 18


@dataclass(frozen=True)
class ExportReport:
    """What an export produced and how closely it matches the source model."""

    out: Path
    model_id: str
    dim: int
    vision_max_diff: float
    text_max_diff: float
    manifest: dict[str, Any]


def export_checkpoint(
    source: str | os.PathLike[str],
    out: Path,
    *,
    model_id: str | None = None,
    opset: int = DEFAULT_OPSET,
    int8: bool = False,
    atol: float = 1e-4,
) -> ExportReport:
    """Export ``source`` (hub id or local folder) into the folder ``out``.

    The folder is written next to its final place and renamed into it only when
    verification passed, so a failed export never leaves a half-written model.
    """
    torch, transformers = _import_export_deps()
    src = os.fspath(source)
    try:
        config = transformers.AutoConfig.from_pretrained(src)
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot load checkpoint {src}: {exc}".splitlines()[0]) from None
    if config.model_type not in SUPPORTED_TYPES:
        raise ExportError(
            f"{src} is a {config.model_type!r} model; supported: CLIP and SigLIP "
            "(image and text), ResNet and DINOv2 (images only)"
        )
    try:
        model = transformers.AutoModel.from_pretrained(src).eval()
        processor = transformers.AutoImageProcessor.from_pretrained(src)
        tokenizer = (
            transformers.AutoTokenizer.from_pretrained(src)
            if config.model_type in IMAGE_TEXT_TYPES
            else None
        )
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot load checkpoint {src}: {exc}".splitlines()[0]) from None
    image = ImagePreprocess.from_hf_processor(processor.to_dict())
    common: dict[str, Any] = {
        "image": image,
        "model_id": model_id or _default_id(src),
        "source": src,
        "architecture": config.model_type,
        "opset": opset,
        "int8": int8,
        "atol": atol,
    }
    if tokenizer is None:
        return export_towers(image_only_tower(torch, model), None, out, **common)
    is_siglip = config.model_type == "siglip"
    text = TextPreprocess(
        context_length=int(config.text_config.max_position_embeddings),
        pad_to_context=is_siglip,
        pad_token=tokenizer.pad_token,
    )
    vision_tower, text_tower = image_text_towers(torch, model, is_siglip)
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer_path = Path(scratch) / "tokenizer.json"
        tokenizer.backend_tokenizer.save(str(tokenizer_path))
        return export_towers(
            vision_tower,
            text_tower,
            out,
            text=text,
            tokenizer_json=tokenizer_path,
            vocab_size=int(config.text_config.vocab_size),
            **common,
        )


def export_towers(
    vision_tower: Any,
    text_tower: Any | None,
    out: Path,
    *,
    image: ImagePreprocess,
    text: TextPreprocess | None = None,
    tokenizer_json: Path | None = None,
    vocab_size: int = 0,
    model_id: str,
    source: str,
    architecture: str,
    opset: int = DEFAULT_OPSET,
    int8: bool = False,
    atol: float = 1e-4,
    extra: dict[str, Any] | None = None,
) -> ExportReport:
    """Export a vision tower (pixels → embedding) and, for image–text models, a text tower
    (tokens → embedding, with ``text`` and ``tokenizer_json``) into ``out``.

    The vision tower takes ``(n, 3, size, size)`` float pixels; the text tower
    takes ``input_ids`` (plus ``attention_mask`` unless ``text.pad_to_context``).
    Both are verified against ONNX Runtime before the folder is renamed into
    place, so a failed export never leaves a half-written model. ``extra`` is
    merged into the manifest (e.g. training facts and evaluation results).
    """
    torch, transformers = _import_export_deps()
    out = out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        vision_tower.eval()
        vision_exporter = _export_vision(
            torch, vision_tower, image.size, staging / "vision.onnx", opset
        )
        vision_diff, dim = _verify_vision(torch, vision_tower, image.size, staging / "vision.onnx")
        names, text_diff = ["vision.onnx"], 0.0
        exporters = {"vision": vision_exporter}
        if text_tower is not None:
            if text is None or tokenizer_json is None:
                raise ExportError("a text tower needs its text settings and tokenizer")
            text_tower.eval()
            fixed_length = text.pad_to_context
            _export_text(
                torch, text_tower, fixed_length, text.context_length, staging / "text.onnx", opset
            )
            shutil.copyfile(tokenizer_json, staging / "tokenizer.json")
            text_diff = _verify_text(
                torch, text_tower, fixed_length, text, vocab_size, staging / "text.onnx"
            )
            names += ["text.onnx", "tokenizer.json"]
            exporters["text"] = "dynamo"
        worst = max(vision_diff, text_diff)
        if worst > atol:
            raise ExportError(
                f"exported graphs differ from the torch model by {worst:.2e} (allowed {atol:.0e})",
                hint="try another ONNX opset, or report the model",
            )
        graphs = [name for name in names if name.endswith(".onnx")]
        for graph in graphs:
            names.append(external_weights(staging / graph))
        if int8:  # (each int8 graph is written with its own external data)
            for graph in graphs:
                quantized = graph.replace(".onnx", ".int8.onnx")
                quantize_graph(staging / graph, staging / quantized)
                names += [quantized, f"{quantized}.data"]
        manifest = write_manifest(
            staging,
            {
                "model_id": model_id,
                "source": source,
                "architecture": architecture,
                "dim": dim,
                "image": image.to_dict(),
                "text": text.to_dict() if text_tower is not None and text else None,
                "export": {**_versions(torch, transformers, opset), "exporters": exporters},
                "verification": {
                    "vision_max_abs_diff": vision_diff,
                    "text_max_abs_diff": text_diff,
                },
                **(extra or {}),
            },
            names,
        )
        staging.chmod(0o755)  # mkdtemp makes it private; a model folder is meant to be shared
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportReport(out, model_id, dim, vision_diff, text_diff, manifest)


def _import_export_deps() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise ExportError(
            "exporting needs torch and transformers",
            hint="pip install 'imgsearch[export]' (torch==2.13.0 is the CPU build)",
        ) from None
    transformers.logging.set_verbosity_error()
    return torch, transformers


def _default_id(source: str) -> str:
    path = Path(source)
    return path.resolve().name if path.exists() else source


def _export_vision(torch: Any, tower: Any, size: int, path: Path, opset: int) -> str:
    """Export the vision tower; return which exporter wrote it.

    The TorchScript exporter first: on ViT-B/32 ONNX Runtime runs its graph ≈ 8% faster
    than the dynamo exporter's (BENCHMARKS.md), whose attention-head reshapes and
    unfused bias additions cost extra kernels. It traces, which suits a tower whose only
    dynamic axis is the batch; both are verified against torch afterwards. dynamo is the
    fallback (and the only exporter for the text tower, whose sequence axis is dynamic).
    """
    common = (torch, tower, (torch.randn(2, 3, size, size),), path, ["pixel_values"])
    try:
        batch_axes = {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}
        _export_torchscript(*common, ["image_embeds"], batch_axes, opset)
        return "torchscript"
    except ExportError:
        path.unlink(missing_ok=True)
    batch = torch.export.Dim("batch", min=1, max=4096)
    _export(*common, ["image_embeds"], {"pixel_values": {0: batch}}, opset)
    return "dynamo"


def _export_text(
    torch: Any, tower: Any, is_siglip: bool, context: int, path: Path, opset: int
) -> None:
    batch = torch.export.Dim("batch", min=1, max=4096)
    ids = torch.randint(0, 10, (2, context if is_siglip else 16))
    if is_siglip:
        _export(
            torch,
            tower,
            (ids,),
            path,
            ["input_ids"],
            ["text_embeds"],
            {"input_ids": {0: batch}},
            opset,
        )
        return
    seq = torch.export.Dim("sequence", min=2, max=context)
    mask = torch.ones_like(ids)
    _export(
        torch,
        tower,
        (ids, mask),
        path,
        ["input_ids", "attention_mask"],
        ["text_embeds"],
        {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
        opset,
    )


def _export_torchscript(
    torch: Any,
    module: Any,
    args: tuple[Any, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int,
) -> None:
    import warnings

    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation notices, not faults
            torch.onnx.export(
                module,
                args,
                str(path),
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                dynamo=False,
            )
    except Exception as exc:  # torch.onnx raises many unrelated types
        raise ExportError(
            f"torch.onnx.export (TorchScript) failed for {path.name}: {exc}".splitlines()[0]
        ) from None


def _export(
    torch: Any,
    module: Any,
    args: tuple[Any, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
    dynamic: dict[str, Any],
    opset: int,
) -> None:
    try:
        with torch.no_grad():
            program = torch.onnx.export(
                module,
                args,
                input_names=inputs,
                output_names=outputs,
                dynamic_shapes=dynamic,
                opset_version=opset,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
            program.save(str(path), external_data=False)
    except Exception as exc:  # torch.onnx raises many unrelated types
        raise ExportError(
            f"torch.onnx.export failed for {path.name}: {exc}".splitlines()[0]
        ) from None


def _normalise(x: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def _session(path: Path) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _verify_vision(torch: Any, tower: Any, size: int, path: Path) -> tuple[float, int]:
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randn(3, 3, size, size, generator=generator)
    with torch.no_grad():
        expected = tower(pixels).numpy()
    actual = _session(path).run(None, {"pixel_values": pixels.numpy()})[0]
    return float(np.abs(_normalise(expected) - _normalise(actual)).max()), int(expected.shape[1])


def _verify_text(
    torch: Any, tower: Any, is_siglip: bool, text: TextPreprocess, vocab: int, path: Path
) -> float:
    generator = torch.Generator().manual_seed(0)
    length = text.context_length if is_siglip else min(12, text.context_length)
    ids = torch.randint(0, vocab, (3, length), generator=generator)
    feeds = {"input_ids": ids.numpy()}
    with torch.no_grad():
        if is_siglip:
            expected = tower(ids).numpy()
        else:
            mask = torch.ones_like(ids)
            mask[0, length // 2 :] = 0  # one padded row: the mask must be honoured
            expected = tower(ids, mask).numpy()
            feeds["attention_mask"] = mask.numpy()
    actual = _session(path).run(None, feeds)[0]
    return float(np.abs(_normalise(expected) - _normalise(actual)).max())


def _versions(torch: Any, transformers: Any, opset: int) -> dict[str, Any]:
    import onnx
    import onnxruntime

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "opset": opset,
    }
