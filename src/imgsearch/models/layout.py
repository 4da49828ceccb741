"""Recognising a model folder and reading what it says about itself.

Three layouts are understood:

``imgsearch``
    Written by ``imgsearch models export``: ``manifest.json`` (model id, dim,
    preprocessing, versions, checksums), ``vision.onnx``, ``text.onnx``,
    ``tokenizer.json``, and optionally ``vision.int8.onnx`` / ``text.int8.onnx``.
``transformers.js``
    The optimum / transformers.js layout on the Hugging Face hub (e.g.
    ``Xenova/clip-vit-base-patch32``): ``onnx/vision_model.onnx``,
    ``onnx/text_model.onnx`` (``*_quantized.onnx`` for int8),
    ``tokenizer.json``, ``preprocessor_config.json``, ``config.json``.
``immich``
    immich's split exports (e.g. ``immich-app/ViT-B-32__openai``):
    ``visual/model.onnx`` + ``visual/preprocess_cfg.json``,
    ``textual/model.onnx`` + ``textual/tokenizer.json`` +
    ``textual/tokenizer_config.json``, and an open_clip ``config.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgsearch.errors import IncompleteModel, UnrecognizedModelLayout
from imgsearch.models.preprocess import ImagePreprocess
from imgsearch.models.tokenizer import TextPreprocess

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "imgsearch-model/1"

# Files each layout needs, per precision, relative to the model folder; used
# both to recognise a folder and to download only what is needed from the hub.
LAYOUT_FILES: dict[str, dict[str, list[str]]] = {
    "imgsearch": {
        "fp32": [MANIFEST, "tokenizer.json", "vision.onnx*", "text.onnx*"],
        "int8": [MANIFEST, "tokenizer.json", "vision.int8.onnx*", "text.int8.onnx*"],
    },
    "transformers.js-vision": {  # image-only models: one graph, no tokenizer
        "fp32": ["config.json", "preprocessor_config.json", "onnx/model.onnx*"],
        "int8": ["config.json", "preprocessor_config.json", "onnx/model_quantized.onnx*"],
    },
    "transformers.js": {
        "fp32": [
            "config.json",
            "preprocessor_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "onnx/vision_model.onnx*",
            "onnx/text_model.onnx*",
        ],
        "int8": [
            "config.json",
            "preprocessor_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "onnx/vision_model_quantized.onnx*",
            "onnx/text_model_quantized.onnx*",
        ],
    },
    "immich": {
        "fp32": [
            "config.json",
            "visual/model.onnx*",
            "visual/preprocess_cfg.json",
            "textual/model.onnx*",
            "textual/tokenizer.json",
            "textual/tokenizer_config.json",
        ],
    },
}


@dataclass(frozen=True)
class ModelFiles:
    """A recognised model folder: where its graphs are and how to feed them.

    ``text`` and ``tokenizer`` are ``None`` for image-only models (ResNet, DINOv2).
    """

    model_id: str
    root: Path
    layout: str
    vision: Path
    text: Path | None
    tokenizer: Path | None
    image: ImagePreprocess
    text_config: TextPreprocess
    dim: int | None
    vision_int8: Path | None = None
    text_int8: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


def detect_layout(root: Path, model_id: str | None = None) -> ModelFiles:
    """Recognise the layout of ``root``; ``model_id`` defaults to the manifest's or the folder name."""
    if not root.is_dir():
        raise UnrecognizedModelLayout(f"{root} is not a folder")
    if (root / MANIFEST).is_file():
        return _read_imgsearch(root, model_id)
    if (root / "onnx" / "model.onnx").exists() and not (
        root / "onnx" / "vision_model.onnx"
    ).exists():
        return _read_transformers_js_vision(root, model_id or root.name)
    if (root / "onnx" / "vision_model.onnx").exists() or (root / "onnx").is_dir():
        return _read_transformers_js(root, model_id or root.name)
    if (root / "visual").is_dir() and (root / "textual").is_dir():
        return _read_immich(root, model_id or root.name)
    raise UnrecognizedModelLayout(
        f"{root} holds no model layout imgsearch knows",
        hint="expected manifest.json (imgsearch's own export), onnx/vision_model.onnx + "
        "onnx/text_model.onnx (transformers.js), onnx/model.onnx (transformers.js, "
        "images only), or visual/ + textual/ (immich); "
        "a transformers checkpoint must be exported first",
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise IncompleteModel(
            f"{path} is missing", hint="re-download or re-export the model"
        ) from None
    except (OSError, ValueError) as exc:
        raise IncompleteModel(f"{path} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise IncompleteModel(f"{path} does not hold a JSON object")
    return data


def _optional(path: Path) -> Path | None:
    return path if path.exists() else None


def _read_imgsearch(root: Path, model_id: str | None) -> ModelFiles:
    manifest = _read_json(root / MANIFEST)
    if manifest.get("format") != MANIFEST_FORMAT:
        raise UnrecognizedModelLayout(
            f"{root / MANIFEST} has format {manifest.get('format')!r}, expected {MANIFEST_FORMAT!r}",
            hint="upgrade imgsearch, or re-export the model with this version",
        )
    files = manifest.get("files", {})
    for name, entry in files.items():
        path = root / name
        if not path.is_file():
            raise IncompleteModel(f"{path} is missing", hint="re-download or re-export the model")
        if path.stat().st_size != entry["size"]:
            raise IncompleteModel(
                f"{path} is {path.stat().st_size} bytes, the manifest says {entry['size']}",
                hint="the download or copy was interrupted; download or export it again",
            )
    has_text = manifest.get("text") is not None
    return ModelFiles(
        model_id=model_id or str(manifest["model_id"]),
        root=root,
        layout="imgsearch",
        vision=root / "vision.onnx",
        text=root / "text.onnx" if has_text else None,
        tokenizer=root / "tokenizer.json" if has_text else None,
        image=ImagePreprocess.from_dict(manifest["image"]),
        text_config=TextPreprocess.from_dict(manifest["text"] or {}),
        dim=int(manifest["dim"]),
        vision_int8=_optional(root / "vision.int8.onnx"),
        text_int8=_optional(root / "text.int8.onnx"),
        manifest=manifest,
    )


def _read_transformers_js(root: Path, model_id: str) -> ModelFiles:
    config = _read_json(root / "config.json")
    processor = _read_json(root / "preprocessor_config.json")
    tokenizer_config = (
        _read_json(root / "tokenizer_config.json")
        if (root / "tokenizer_config.json").exists()
        else {}
    )
    text_cfg = config.get("text_config", {})
    is_siglip = config.get("model_type") == "siglip"
    context = int(
        text_cfg.get("max_position_embeddings") or tokenizer_config.get("model_max_length") or 77
    )
    dim = (
        config.get("projection_dim")
        or text_cfg.get("projection_size")
        or text_cfg.get("hidden_size")
    )
    onnx = root / "onnx"
    return ModelFiles(
        model_id=model_id,
        root=root,
        layout="transformers.js",
        vision=onnx / "vision_model.onnx",
        text=onnx / "text_model.onnx",
        tokenizer=root / "tokenizer.json",
        image=ImagePreprocess.from_hf_processor(processor),
        text_config=TextPreprocess(
            context_length=context,
            pad_to_context=is_siglip,
            pad_token=_token_text(tokenizer_config.get("pad_token")),
        ),
        dim=int(dim) if dim else None,
        vision_int8=_optional(onnx / "vision_model_quantized.onnx"),
        text_int8=_optional(onnx / "text_model_quantized.onnx"),
    )


def _read_transformers_js_vision(root: Path, model_id: str) -> ModelFiles:
    """An image-only feature extractor (DINOv2, ViT …) exported by transformers.js:
    ``onnx/model.onnx`` whose ``pooler_output`` is the image's vector."""
    config = _read_json(root / "config.json")
    processor = _read_json(root / "preprocessor_config.json")
    widths = config.get("hidden_sizes") or [config.get("hidden_size")]
    dim = widths[-1]
    onnx = root / "onnx"
    return ModelFiles(
        model_id=model_id,
        root=root,
        layout="transformers.js-vision",
        vision=onnx / "model.onnx",
        text=None,
        tokenizer=None,
        image=ImagePreprocess.from_hf_processor(processor),
        text_config=TextPreprocess(),
        dim=int(dim) if dim else None,
        vision_int8=_optional(onnx / "model_quantized.onnx"),
    )


def _read_immich(root: Path, model_id: str) -> ModelFiles:
    config = _read_json(root / "config.json")
    preprocess = _read_json(root / "visual" / "preprocess_cfg.json")
    tokenizer_config = _read_json(root / "textual" / "tokenizer_config.json")
    text_cfg = config.get("text_cfg", {})
    dim = config.get("embed_dim")
    return ModelFiles(
        model_id=model_id,
        root=root,
        layout="immich",
        vision=root / "visual" / "model.onnx",
        text=root / "textual" / "model.onnx",
        tokenizer=root / "textual" / "tokenizer.json",
        image=ImagePreprocess.from_open_clip(preprocess),
        text_config=TextPreprocess(
            context_length=int(text_cfg.get("context_length", 77)),
            pad_to_context=True,
            pad_token=_token_text(tokenizer_config.get("pad_token")),
        ),
        dim=int(dim) if dim else None,
    )


def _token_text(token: Any) -> str | None:
    """tokenizer_config.json stores special tokens as strings or as {"content": ...}."""
    if isinstance(token, dict):
        token = token.get("content")
    return token if isinstance(token, str) else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksums(files: ModelFiles) -> None:
    """Check every file listed in an imgsearch manifest against its SHA-256.

    Raises :class:`IncompleteModel` naming the first file that differs. Models
    in other layouts carry no checksums and pass.
    """
    for name, entry in files.manifest.get("files", {}).items():
        path = files.root / name
        actual = sha256_file(path)
        if actual != entry["sha256"]:
            raise IncompleteModel(
                f"{path} fails its checksum (sha256 {actual[:12]}…, manifest {entry['sha256'][:12]}…)",
                hint="the file was changed or damaged; download or export the model again",
            )


def write_manifest(root: Path, manifest: dict[str, Any], file_names: list[str]) -> dict[str, Any]:
    """Add size and SHA-256 of each named file and write ``manifest.json``."""
    manifest = dict(manifest)
    manifest["format"] = MANIFEST_FORMAT
    manifest["files"] = {
        name: {"size": (root / name).stat().st_size, "sha256": sha256_file(root / name)}
        for name in sorted(file_names)
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def external_weights(graph: Path) -> str:
    """Move ``graph``'s weights into ``<graph>.data`` beside it (ONNX external data); the
    name of that file.

    Why: ONNX Runtime memory-maps external weights instead of parsing them out of one big
    protobuf. Starting a ViT-B/32 text session took 334 ms from a single file and 100 ms
    with external data (25 ms without weight prepacking): most of a one-shot search's
    model load. The vectors do not change (the same tensors, stored elsewhere).
    """
    import onnx

    data = f"{graph.name}.data"
    model = onnx.load(str(graph))
    onnx.save_model(
        model,
        str(graph),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data,
        size_threshold=1024,
    )
    # onnx creates the data file for its owner only (0600): a model folder shared with a
    # server running as another user must stay readable like the graph beside it
    (graph.parent / data).chmod(graph.stat().st_mode & 0o777)
    return data
