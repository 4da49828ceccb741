"""Running one ONNX graph with ONNX Runtime: providers, threads, inputs, outputs.

Graphs from different exporters name and type their inputs differently
(``pixel_values`` or ``image``; ``input_ids`` int64 or ``text`` int32; with or
without ``attention_mask``) and return several outputs. :class:`OnnxTower`
hides that: it feeds what the graph declares, in the dtype it declares, and
returns the embedding output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from imgsearch.errors import IncompleteModel, ModelError

PREFERRED_PROVIDERS = (
    "CUDAExecutionProvider",
    "CoreMLExecutionProvider",
    "OpenVINOExecutionProvider",
    "CPUExecutionProvider",
)
"""Accelerators are used automatically when the installed onnxruntime offers them."""

_EMBEDDING_OUTPUTS = ("image_embeds", "text_embeds", "embedding", "embeddings", "pooler_output")
_DTYPES = {
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
}


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """The execution providers to use, best first.

    ``requested`` (the CLI reads ``IMGSEARCH_PROVIDERS``) overrides the automatic
    choice; asking for one that this onnxruntime build lacks is an error rather than
    a silent CPU fallback.
    """
    available = ort.get_available_providers()
    if not requested:
        return [p for p in PREFERRED_PROVIDERS if p in available]
    aliases = {p.lower().removesuffix("executionprovider"): p for p in available}
    chosen = []
    for name in requested:
        provider = aliases.get(name.lower().removesuffix("executionprovider"))
        if provider is None:
            raise ModelError(
                f"execution provider {name!r} is not available",
                hint=f"this onnxruntime offers: {', '.join(available)}",
            )
        chosen.append(provider)
    return chosen


class OnnxTower:
    """One encoder graph (vision or text) on an ONNX Runtime session, created on first use."""

    def __init__(
        self,
        path: Path,
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        *,
        prepack: bool = True,
    ) -> None:
        if not path.is_file():
            raise IncompleteModel(
                f"model graph {path} is missing", hint="re-download or re-export the model"
            )
        self.path = path
        self._providers = list(providers) if providers is not None else None
        self._threads = threads
        self._prepack = prepack
        self._session: ort.InferenceSession | None = None
        self._inputs: dict[str, Any] = {}
        self._output: str = ""

    @property
    def session(self) -> ort.InferenceSession:
        if self._session is None:
            self._session = self._create()
        return self._session

    def _create(self) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self._threads:
            options.intra_op_num_threads = self._threads
        options.log_severity_level = 3
        if not self._prepack:  # one-shot use: skip repacking weights at session start
            options.add_session_config_entry("session.disable_prepacking", "1")
        try:
            session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=choose_providers(self._providers)
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise IncompleteModel(
                f"cannot load model graph {self.path}: {exc}".splitlines()[0],
                hint="the file may be truncated; re-download or re-export the model",
            ) from None
        self._inputs = {i.name: _DTYPES.get(i.type, np.float32) for i in session.get_inputs()}
        self._output = _embedding_output(session)
        return session

    def _input_types(self) -> dict[str, Any]:
        _ = self.session
        return self._inputs

    def output_dim(self) -> int | None:
        """The embedding width if the graph declares it statically."""
        for out in self.session.get_outputs():
            if out.name == self._output and isinstance(out.shape[-1], int):
                return int(out.shape[-1])
        return None

    def run(self, feeds: Mapping[str, NDArray[Any]]) -> NDArray[np.float32]:
        """Run on named arrays; ``feeds`` may hold extra entries the graph does not take.

        The first input of the graph receives the first feed when names differ
        (``pixel_values`` vs ``image``, ``input_ids`` vs ``text``).
        """
        declared = self._input_types()
        primary = next(iter(feeds.values()))
        prepared = {}
        for index, (name, dtype) in enumerate(declared.items()):
            value = feeds.get(name, primary if index == 0 else None)
            if value is None:
                raise ModelError(
                    f"graph {self.path.name} needs an input {name!r} imgsearch cannot provide"
                )
            prepared[name] = np.ascontiguousarray(value, dtype=dtype)
        rows = len(next(iter(prepared.values())))
        if self._batch_fixed_at_one() and rows > 1:
            parts = [
                self.session.run([self._output], {k: v[i : i + 1] for k, v in prepared.items()})[0]
                for i in range(rows)
            ]
            return np.concatenate(parts).astype(np.float32).reshape(rows, -1)
        result = self.session.run([self._output], prepared)[0]
        return np.asarray(result, dtype=np.float32).reshape(rows, -1)  # ResNet: (n, c, 1, 1)

    def _batch_fixed_at_one(self) -> bool:
        """Some published exports declare a static batch of 1; those run row by row."""
        first = self.session.get_inputs()[0]
        return bool(first.shape) and first.shape[0] == 1


def _embedding_output(session: ort.InferenceSession) -> str:
    outputs = session.get_outputs()
    names = [o.name for o in outputs]
    for name in _EMBEDDING_OUTPUTS:
        if name in names:
            return name
    for out in outputs:
        if len(out.shape) == 2 and out.name != "logits":  # classifiers' scores are not features
            return str(out.name)
    raise IncompleteModel(f"no embedding output among {names}")


def l2_normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out
