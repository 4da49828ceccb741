"""int8 copies of ONNX graphs (dynamic quantisation with onnxruntime.quantization).

Weights of every MatMul/Gemm are stored as int8 and activations quantised on
the fly: about a quarter of the size, faster on CPUs with VNNI, and a small,
measured drift from fp32 (BENCHMARKS.md reports mean/min cosine). The patch
embedding convolution stays fp32 because ConvInteger is slow on CPU.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from imgsearch.errors import ModelError
from imgsearch.models.mapped import cache_key


def quantize_graph(source: Path, target: Path) -> Path:
    """Write a dynamically int8-quantised copy of ``source`` to ``target`` (atomically),
    its weights as ONNX external data in ``<target>.data`` beside it (memory-mapped when a
    session starts: see :func:`~imgsearch.models.layout.external_weights`)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from imgsearch.models.layout import external_weights

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        partial = Path(scratch) / target.name
        cleaned = Path(scratch) / "source.onnx"
        try:
            # Exporters leave intermediate shape annotations that the quantiser's
            # own shape inference may contradict; it re-derives them anyway.
            graph = onnx.load(str(source))
            del graph.graph.value_info[:]
            onnx.save(graph, str(cleaned))
            quantize_dynamic(
                cleaned,
                partial,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Gemm"],
            )
            data = external_weights(partial)
        except Exception as exc:  # onnxruntime.quantization raises assorted errors
            raise ModelError(f"cannot quantise {source} to int8: {exc}") from None
        # the weights first, the graph that names them last: a graph that exists is whole
        (Path(scratch) / data).replace(target.parent / data)
        partial.replace(target)
    return target


def cached_int8(source: Path, cache_dir: Path) -> Path:
    """An int8 copy of ``source`` under ``cache_dir``, made once and reused.

    The cache key covers the source's absolute path, size and mtime, so a
    re-exported or re-downloaded model gets a fresh copy.
    """
    target = cache_dir / "int8" / cache_key(source) / source.name
    if not target.exists():
        quantize_graph(source, target)
    return target
