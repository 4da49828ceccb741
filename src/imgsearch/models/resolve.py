"""Finding a model: a local folder, a catalog name, or a Hugging Face hub repo id.

Hub downloads go to the standard Hugging Face cache (``HF_HOME`` /
``HF_HUB_CACHE``), fetch only the files the layout needs, resume after an
interruption, show progress bars, and work offline from the cache when
``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from imgsearch.errors import ExportError, ModelError, ModelNotCached, ModelNotFound
from imgsearch.models.catalog import ModelSpec, bundled_folder, find_spec, unknown_model
from imgsearch.models.layout import LAYOUT_FILES, ModelFiles, detect_layout

DEFAULT_CACHE = Path("~/.cache/imgsearch").expanduser()
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
PRECISIONS = ("fp32", "int8")


def split_precision(ref: str, precision: str | None) -> tuple[str, str]:
    """``"clip-vit-b-32:int8"`` → ``("clip-vit-b-32", "int8")``; an explicit precision wins."""
    name, _, suffix = ref.rpartition(":")
    if name and suffix in PRECISIONS and not Path(ref).exists():
        ref, implied = name, suffix
    else:
        implied = "fp32"
    chosen = precision or implied
    if chosen not in PRECISIONS:
        raise ModelError(f"unknown precision {chosen!r}", hint="use fp32 or int8")
    return ref, chosen


def resolve_model(
    ref: str | os.PathLike[str],
    *,
    precision: str = "fp32",
    hub_cache_dir: Path | None = None,
    offline: bool = False,
    cache_dir: Path | None = None,
) -> ModelFiles:
    """Locate (downloading if needed) the model ``ref`` and recognise its layout.

    Catalog models published only as PyTorch checkpoints (``layout: checkpoint``) are
    converted once by imgsearch's exporter into ``cache_dir/models/NAME``."""
    text = os.fspath(ref)
    path = Path(text).expanduser()
    if path.is_dir():
        return detect_layout(path)
    spec = find_spec(text)
    if spec is not None and spec.bundled is not None:
        return detect_layout(bundled_folder(spec.bundled), model_id=spec.name)
    if spec is not None and spec.hub_repo is not None and spec.layout == "checkpoint":
        folder = exported_into_cache(
            spec.hub_repo, (cache_dir or DEFAULT_CACHE) / "models" / spec.name, spec.name, offline
        )
        return detect_layout(folder, model_id=spec.name)
    if spec is not None and spec.hub_repo is not None:
        folder = download(
            spec.hub_repo, [spec.layout], precision, spec.revision, hub_cache_dir, offline
        )
        return detect_layout(folder, model_id=spec.name)
    if _REPO_ID.match(text) and not path.exists():
        folder = download(text, list(LAYOUT_FILES), precision, None, hub_cache_dir, offline)
        return detect_layout(folder, model_id=text)
    if path.exists():
        raise ModelNotFound(f"{text} is a file, not a model folder")
    if os.sep in text or text.startswith((".", "~")):
        raise ModelNotFound(f"no model folder at {text}")
    raise unknown_model(text)


def availability(spec: ModelSpec, *, hub_cache_dir: Path | None = None) -> str:
    """Where ``spec``'s files are now, looked up without the network: ``bundled`` (inside
    the package), ``cached`` (in the local Hugging Face cache, or converted into
    imgsearch's: both work offline) or ``download`` (fetched from the hub on first use)."""
    if spec.bundled is not None:
        return "bundled"
    try:
        resolve_model(spec.name, hub_cache_dir=hub_cache_dir, offline=True)
    except ModelError:
        return "download"
    return "cached"


def exported_into_cache(source: str, folder: Path, name: str, offline: bool) -> Path:
    """``folder`` holding ``source`` (a transformers checkpoint) in imgsearch's layout,
    exported there on first use; needs the ``export`` extra (torch) that first time."""
    if (folder / "manifest.json").is_file():
        return folder
    if offline:
        raise ModelNotCached(
            f"model {name} has not been converted yet and offline mode is on",
            hint=f"convert it once with network access, or convert {source} elsewhere "
            "and pass the folder",
        )
    try:
        from imgsearch.models.export import export_checkpoint

        export_checkpoint(source, folder, model_id=name)
    except ExportError as exc:
        raise ModelNotFound(
            f"model {name} is published as a PyTorch checkpoint ({source}) and could not be "
            f"converted: {exc.message}",
            hint=exc.hint or "install the export extra: pip install 'imgsearch[export]'",
        ) from None
    return folder


def download(
    repo_id: str,
    layouts: list[str],
    precision: str,
    revision: str | None,
    cache_dir: Path | None,
    offline: bool,
) -> Path:
    """Fetch the files of ``layouts`` at ``precision`` from ``repo_id``; return the snapshot folder."""
    from huggingface_hub import errors as hub_errors
    from huggingface_hub import snapshot_download

    patterns = sorted(
        {
            p
            for layout in layouts
            for p in LAYOUT_FILES[layout].get(precision, LAYOUT_FILES[layout]["fp32"])
        }
        | {p for layout in layouts for p in LAYOUT_FILES[layout]["fp32"]}
    )
    try:
        folder = snapshot_download(
            repo_id,
            revision=revision,
            allow_patterns=patterns,
            cache_dir=cache_dir,
            local_files_only=offline,
        )
    except (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled) as exc:
        if offline or isinstance(exc, hub_errors.OfflineModeIsEnabled):
            raise ModelNotCached(
                f"model {repo_id} is not in the local Hugging Face cache, and offline mode is "
                "on (HF_HUB_OFFLINE or IMGSEARCH_OFFLINE is set)",
                hint="unset it and download the model once with network access, or pass a "
                "local model folder",
            ) from None
        # huggingface_hub says this too when the hub cannot be reached and nothing is cached
        raise ModelNotCached(
            f"model {repo_id} is not in the local Hugging Face cache, and the Hugging Face hub "
            "cannot be reached",
            hint="connect to the network once (the model is cached from then on), or pass a "
            "local model folder; `imgsearch demo` works offline with its bundled model",
        ) from None
    except (hub_errors.RepositoryNotFoundError, hub_errors.RevisionNotFoundError):
        raise ModelNotFound(
            f"no model {repo_id} on the Hugging Face hub",
            hint="check the repo id, or log in with `hf auth login` for a private repo",
        ) from None
    except hub_errors.GatedRepoError:
        raise ModelNotFound(
            f"model {repo_id} is gated on the Hugging Face hub",
            hint="accept its licence on the hub and log in with `hf auth login`",
        ) from None
    except (hub_errors.HfHubHTTPError, OSError) as exc:
        raise ModelError(
            f"could not download model {repo_id}: {exc}".splitlines()[0],
            hint="check the network; a partly downloaded model resumes on the next try; "
            "set HF_HUB_OFFLINE=1 to use only the cache",
        ) from None
    return Path(folder)
