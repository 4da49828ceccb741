"""The models imgsearch knows by name. The list itself is data (catalog.json).

Adding a model is one entry there: a short name, the hub repository holding its
ONNX export, the repository's layout (see :mod:`imgsearch.models.layout`), and
facts a user wants before downloading it. A *bundled* model ships inside the
package (``imgsearch/models/bundled/NAME``, imgsearch layout) instead of on
the hub, so it works offline from the first run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from imgsearch.errors import ModelNotFound

DEFAULT_MODEL = "clip-vit-b-32"


@dataclass(frozen=True)
class ModelSpec:
    """One catalog entry."""

    name: str
    hub_repo: str | None
    layout: str
    dim: int
    image_size: int
    licence: str
    languages: str
    notes: str
    revision: str | None = None
    bundled: str | None = None
    calibration: dict[str, Any] | None = None
    """The confidence calibration shipped for the model's family
    (:class:`imgsearch.query.calibration.Calibration`, as its ``as_dict`` writes it)."""

    @property
    def source(self) -> str:
        """Where the files come from, for listings."""
        return self.hub_repo or f"bundled with imgsearch ({self.bundled})"


def bundled_folder(name: str) -> Path:
    """The package folder of a bundled model."""
    return Path(str(resources.files("imgsearch.models").joinpath("bundled").joinpath(name)))


@cache
def catalog() -> tuple[ModelSpec, ...]:
    """Every catalog entry, in the order they are listed to users."""
    raw = resources.files("imgsearch.models").joinpath("catalog.json").read_text("utf-8")
    return tuple(ModelSpec(**entry) for entry in json.loads(raw))


def find_spec(name: str) -> ModelSpec | None:
    """The entry called ``name`` (case-insensitive), or None."""
    wanted = name.lower()
    return next((spec for spec in catalog() if spec.name == wanted), None)


def get_spec(name: str) -> ModelSpec:
    """The entry called ``name``; an error listing the known names otherwise."""
    spec = find_spec(name)
    if spec is None:
        raise unknown_model(name)
    return spec


def unknown_model(name: str) -> ModelNotFound:
    known = ", ".join(spec.name for spec in catalog())
    return ModelNotFound(
        f"unknown model {name!r}",
        hint=f"known models: {known}; or give a Hugging Face repo id (owner/name) "
        "or a local model folder (see `imgsearch models list`)",
    )
