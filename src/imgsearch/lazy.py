"""Modules imported on first use: FAISS (≈ 80 ms) and ONNX Runtime (≈ 150 ms) load only in
a process that searches a graph or runs a model, not in ``imgsearch status`` or ``--help``."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it when one of its attributes is used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def load(self) -> ModuleType:
        return importlib.import_module(self._name)  # once: sys.modules keeps it

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.load(), attribute)
