"""Indexing throughput: `Index.update` against the tutorial pipeline and the model alone.

Same run, same machine: synthetic 4000x3000 JPEGs, a randomly initialised CLIP
with exactly ViT-B/32's architecture (random weights cost the same compute).

* reference: PIL decode + transformers CLIPProcessor + CLIPModel in PyTorch,
  batches of 16, vectors written into a NumPy array;
* imgsearch: ``Index.update([folder])`` into a fresh index — walk, hash, EXIF,
  decode (thread pool), preprocess, ONNX Runtime, SQLite writes;
* model only: ``Embedder.embed_pixels`` on already preprocessed batches — the
  rate indexing would reach if decoding and writing were free.

    python bench/index.py [--images 48] [--repeat 2]

Targets (issue 3): imgsearch ≥ 3x the reference and ≥ 75% of the model-only rate.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py and bench/pgvector.py carry the names their issues give them, which would
# shadow the standard library's `http` and the pgvector package for every import made by
# a script run from this folder: look in this folder last, after everything installed.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import shutil
import tempfile

import numpy as np

from embed import best_rate, model_folder, reference_pipeline, synthetic_jpegs
from imgsearch import Embedder, Index


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    paths = synthetic_jpegs(args.images)
    checkpoint, exported = model_folder()
    embedder = Embedder(exported)
    embedder.embed_texts(["warm-up"])

    batch = np.stack([embedder.images.read_image(p)[1] for p in paths[:16]])
    embedder.embed_pixels(batch)
    model_only = best_rate(lambda: embedder.embed_pixels(batch), len(batch), args.repeat + 1)

    def index_once() -> None:
        folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-index-"))
        try:
            with Index.open(folder, encoder=embedder) as index:
                report = index.update([paths[0].parent])
                assert report.embedded == len(paths), report.counts
        finally:
            shutil.rmtree(folder)

    ours = best_rate(index_once, len(paths), args.repeat)

    embed_images, _, _ = reference_pipeline(checkpoint)

    def reference_once() -> None:
        outputs = embed_images(paths)
        vectors = np.concatenate([getattr(o, "pooler_output", o).numpy() for o in outputs])  # type: ignore[attr-defined]
        assert vectors.shape[0] == len(paths)

    reference = best_rate(reference_once, len(paths), args.repeat)

    print(f"{len(paths)} JPEGs 4000x3000, ViT-B/32 architecture (random weights), fp32\n")
    print("| pipeline | images/s | vs reference | vs model-only | target |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| reference (transformers + PyTorch → NumPy) | {reference:.2f} | 1.00x | {reference / model_only:.0%} | |"
    )
    print(
        f"| imgsearch index (decode, hash, EXIF, ONNX, SQLite) | {ours:.2f} | {ours / reference:.2f}x | {ours / model_only:.0%} | ≥3x, ≥75% |"
    )
    print(
        f"| model only (preprocessed batches of 16) | {model_only:.2f} | {model_only / reference:.2f}x | 100% | |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
