"""What the indexing pass costs per file when it reads text (issue 34: the model's input
no longer comes from the reader's decode, so that a vector does not depend on ``--ocr``).

Times :func:`imgsearch.indexer.read_text.decode_with_text` — the model's decode and input, the
reader's copy and its first look, the full reading where the look sees text — and, as the
reference in the same run, the model's decode alone (``ImagePipeline.read_image``: the pass
without ``--ocr``), on 4000 × 3000 JPEG photos without text and on generated pictures
with words. Run it at two commits to compare them:

    python bench/ocr_decode.py [--files 20] [--model demo-shapes]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py; tests.conftest's photo())

# isort: split

from imgsearch.indexer.read_text import TextReader, TextReading, decode_with_text
from imgsearch.models.images import ImagePipeline
from imgsearch.models.registry import load_encoder
from imgsearch.models.settings import ModelSettings
from imgsearch.ocr.policy import TextPolicy
from tests.conftest import photo
from tests.scaffold.words import generate_word_pictures


def per_file_ms(files: list[Path], work: object) -> float:
    times = []
    for path in files:
        data = path.read_bytes()
        started = time.perf_counter()
        work(data, str(path))  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--model", default="demo-shapes")
    args = parser.parse_args()
    settings = ModelSettings(name=args.model)
    images = ImagePipeline.from_settings(load_encoder(settings), settings)
    policy = TextPolicy(read=True)
    reader = TextReader(
        max_side=policy.max_side, min_confidence=policy.min_confidence, look_side=policy.look_side
    )
    reading = TextReading(reader, policy.stamp)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        photos = []
        for n in range(args.files):
            path = root / f"photo-{n}.jpg"
            photo(4000, 3000, seed=n).save(path, quality=90)
            photos.append(path)
        generate_word_pictures(root / "words", args.files, 9101)
        words = sorted((root / "words" / "images").iterdir())
        rows = []
        for name, files in (("4000×3000 JPEG photos", photos), ("pictures with words", words)):
            for path in files[:2]:  # warm: models loaded, files cached
                decode_with_text(path.read_bytes(), str(path), images, reading)
            alone = per_file_ms(files, lambda d, n: images.read_image(d, name=n))
            both = per_file_ms(files, lambda d, n: decode_with_text(d, n, images, reading))
            rows.append((name, len(files), alone, both))
    print(f"model {images.encoder.model_id}; median ms per file")
    print(f"{'files':<24}{'count':>6}{'model decode':>14}{'with text':>12}{'ratio':>8}")
    for name, count, alone, both in rows:
        print(f"{name:<24}{count:>6}{alone:>14.1f}{both:>12.1f}{both / alone:>7.2f}×")


if __name__ == "__main__":
    main()
