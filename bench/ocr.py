"""Reading text in images (issue 19), first part: accuracy and cost of the reader.

1. Accuracy on a held-out generated set (``tests.scaffold.words``: made-up words in
   DejaVu fonts on plain, noisy, gradient and photo backgrounds; some turned 5–15°;
   small and large text): word-level recall of what :class:`imgsearch.ocr.TextReader`
   reads against what was drawn, per kind, counted two ways — the word read as a word
   of its own ("token"), and the word present in the line's text, case and spaces
   ignored ("in text": the recogniser often drops the space between words,
   ``perobisefamo`` for ``pero bisefamo``; a substring match still finds it).
2. Cost per image on 2 cores, in the same run: the reader (a detector-only first look
   at a 480-px copy; a full read, of a copy downscaled to 1,280 px, only where it saw
   text) against RapidOCR called naively on the full-size file (its own defaults), on
   the text pictures and on 12 MP photos without text.

The indexing rows (``imgsearch index --ocr`` vs without) come with the indexing stage.

    python bench/ocr.py [--images 300] [--seed 9001] [--photos 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import numpy as np
from PIL import Image

from imgsearch.ocr import TextReader
from tests.scaffold.words import WordPicture, generate_word_pictures


def found_words(lines: list[str]) -> set[str]:
    return {word.lower() for line in lines for word in line.split()}


def squeezed(lines: list[str]) -> str:
    """The text read, lower case, without spaces: what a substring match sees."""
    return "\n".join("".join(line.lower().split()) for line in lines)


def kinds(picture: WordPicture) -> list[str]:
    """The rows a picture counts in: all, its background, rotated or not, its text size."""
    turned = "rotated" if picture.rotated else "horizontal"
    rows = ["all", f"background {picture.background}", turned, f"{picture.size} text"]
    if not picture.rotated and picture.size == "large":
        rows.append("horizontal, readable size (target)")
    return rows


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth photo-like picture without text (gradients and blurred discs)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    waves = [
        127 + 110 * np.sin(x / width * rng.uniform(0.5, 3) * 3.14 + y / height * 2 + rng.uniform(0, 6))
        for _ in range(3)
    ]  # fmt: skip
    return Image.fromarray(np.clip(np.stack(waves, -1), 0, 255).astype(np.uint8))


def timed(read: object, items: list[object]) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        read(item)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--photos", type=int, default=10)
    args = parser.parse_args()
    reader = TextReader()
    from rapidocr_onnxruntime import RapidOCR

    naive = RapidOCR()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        pictures = generate_word_pictures(root / "words", args.images, args.seed)
        drawn: dict[str, int] = defaultdict(int)
        read: dict[str, int] = defaultdict(int)
        present: dict[str, int] = defaultdict(int)
        reader_ms, naive_ms = [], []
        for picture in pictures:
            path = root / "words" / picture.file
            rgb = np.asarray(Image.open(path).convert("RGB"))
            started = time.perf_counter()
            lines = reader.read(rgb)
            reader_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            naive(str(path))
            naive_ms.append((time.perf_counter() - started) * 1000)
            texts = [line.text for line in lines]
            seen, flat = found_words(texts), squeezed(texts)
            hits = sum(word.lower() in seen for word in picture.words)
            inside = sum(word.lower() in flat for word in picture.words)
            for row in kinds(picture):
                drawn[row] += len(picture.words)
                read[row] += hits
                present[row] += inside
        photos = []
        for n in range(args.photos):
            path = root / f"photo-{n}.jpg"
            photo(4000, 3000, n).save(path, quality=90)
            photos.append(path)
        photo_reader = timed(
            lambda p: reader.read(np.asarray(Image.open(p).convert("RGB"))), photos
        )
        photo_naive = timed(lambda p: naive(str(p)), photos)
    print(
        f"{len(pictures)} pictures, seed {args.seed}, {sum(drawn.values()) and drawn['all']} words\n"
    )
    print("| kind | words | word recall: token | word recall: in text |\n|---|---:|---:|---:|")
    for row in sorted(drawn, key=lambda r: (r != "all", r)):
        print(
            f"| {row} | {drawn[row]} | {read[row] / drawn[row]:.3f} "
            f"| {present[row] / drawn[row]:.3f} |"
        )
    print(
        "\n| images | reader: median ms (incl. decode) | naive RapidOCR, full size: median ms | ratio |"
    )
    print("|---|---:|---:|---:|")
    for name, ours, theirs in (
        ("text pictures (≤ 800 px)", reader_ms, naive_ms),
        (f"photos without text, 4000×3000 ({args.photos})", photo_reader, photo_naive),
    ):
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"| {name} | {a:.0f} | {b:.0f} | {b / a:.2f}× |")


if __name__ == "__main__":
    main()
