"""Reading text in images (issue 19), second part: indexing with ``--ocr``, and search.

A mixed folder — half generated pictures with words (``tests.scaffold.words``, a
held-out seed), half 12 MP photo-like JPEGs without text — is indexed, in the same run:

1. without OCR (the reference);
2. with OCR in the indexing pass (``Index.update(read_text=True)``: text read from the
   decode the model needs, on the decode workers);
3. without OCR, then RapidOCR called naively on every full-size file (its defaults);
4. OCR turned on for the index of 1 afterwards (each picture read again from disk).

Then search success on the index of 2: a text picture counts as found when its longest
word, searched for, brings it first — as a plain query (default relevance: 90 % picture,
10 % metadata), as a plain query weighted to the metadata (``--metadata-weight 1``), and
with the ``contains_text`` filter; and when any of its words does, as a plain query. The model is a randomly initialised ViT-B/32 (real
compute, no visual knowledge of words), so the picture part of a query is noise here.

    python bench/ocr_index.py [--images 200] [--seed 9101] [--model .bench/vit-b-32-v2]

(``python bench/embed.py`` once makes the model folder.)
"""

from __future__ import annotations

from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import argparse
import shutil
import tempfile
import time
from collections import defaultdict

import numpy as np
from PIL import Image

from imgsearch import Index
from imgsearch.query.expression import Query, QueryPart
from imgsearch.store import Filters
from tests.scaffold.words import WordPicture, generate_word_pictures


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A photo-like picture without text: smooth colour waves and a few soft discs."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    waves = [
        127 + 100 * np.sin(x / width * rng.uniform(0.5, 3) * 3.14 + y / height * 2 + rng.uniform(0, 6))
        for _ in range(3)
    ]  # fmt: skip
    picture = np.stack(waves, -1)
    for _ in range(5):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(80, 600)
        inside = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        picture[inside] = 0.5 * picture[inside] + 0.5 * rng.uniform(0, 255, 3)
    return Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))


def kinds(picture: WordPicture) -> list[str]:
    rows = ["all text pictures", "rotated" if picture.rotated else "horizontal"]
    rows.append(f"{picture.size} text")
    if not picture.rotated and picture.size == "large":
        rows.append("horizontal, readable size (target)")
    return rows


def index_seconds(folder: Path, root: Path, model: str, **options: object) -> float:
    started = time.perf_counter()
    with Index.open(folder, model=model) as index:
        index.update([root], **options)  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200, help="files in all, half with text")
    parser.add_argument("--seed", type=int, default=9101)
    parser.add_argument("--model", default=".bench/vit-b-32-v2")
    args = parser.parse_args()
    model = str(Path(args.model).resolve())
    half = args.images // 2
    with tempfile.TemporaryDirectory(dir=".bench") as scratch:
        work = Path(scratch)
        root = work / "mixed"
        pictures = generate_word_pictures(root / "words", half, args.seed)
        (root / "photos").mkdir()
        for n in range(half):
            photo(4000, 3000, args.seed + n).save(root / "photos" / f"photo-{n:04}.jpg", quality=90)
        files = sorted(p for p in root.rglob("*") if p.suffix in (".png", ".jpg"))
        for path in files:  # in the page cache for every run alike
            path.read_bytes()
        index_seconds(work / "warm", root / "words", model)  # model files cached, threads up
        plain = index_seconds(work / "plain", root, model)
        with_ocr = index_seconds(work / "ocr", root, model, read_text=True)
        from rapidocr_onnxruntime import RapidOCR

        naive_engine = RapidOCR()
        started = time.perf_counter()
        for path in files:
            naive_engine(str(path))
        naive = time.perf_counter() - started
        shutil.copytree(work / "plain", work / "later")
        later = index_seconds(work / "later", root, model, read_text=True)

        found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        with Index.open(work / "ocr") as index:
            for picture in pictures:
                path = str((root / "words" / picture.file).resolve())
                word = max(picture.words, key=len)
                ways = {
                    "plain query": Query((QueryPart(text=word),), top=1),
                    "plain query, metadata weight 1": Query(
                        (QueryPart(text=word),), top=1, metadata_weight=1.0
                    ),
                    "contains-text filter": Query(
                        (QueryPart(text=word),), top=1, filters=Filters(contains_text=(word,))
                    ),
                }
                first: dict[str, bool] = {}
                for name, query in ways.items():
                    hits = index.search(query)
                    first[name] = bool(hits) and hits[0].image.path == path
                any_word = any(
                    (hits := index.search(Query((QueryPart(text=w),), top=1)))
                    and hits[0].image.path == path
                    for w in picture.words
                )
                first["plain query, any of its words"] = any_word
                for row in kinds(picture):
                    found[row]["pictures"] += 1
                    for name, hit in first.items():
                        found[row][name] += hit
    count = len(files)
    print(
        f"{count} files: {half} pictures with words (seed {args.seed}), {half} 4000×3000 photos\n"
    )
    print("| indexing run | seconds | files/s | × without OCR |\n|---|---:|---:|---:|")
    for name, seconds in (
        ("without OCR (reference)", plain),
        ("with --ocr (text read in the indexing pass)", with_ocr),
        ("without OCR, then RapidOCR naively on every full-size file", plain + naive),
        ("without OCR, then --ocr on that index (every file read again)", plain + later),
    ):
        print(f"| {name} | {seconds:.1f} | {count / seconds:.2f} | {seconds / plain:.2f}× |")
    ways_names = [
        "plain query",
        "plain query, any of its words",
        "plain query, metadata weight 1",
        "contains-text filter",
    ]
    print(
        "\n| text pictures | count | "
        + " | ".join(f"first hit: {name}" for name in ways_names)
        + " |\n|---|---:|"
        + "---:|" * len(ways_names)
    )
    for row in sorted(found, key=lambda r: (r != "all text pictures", r)):
        counts = found[row]
        rates = " | ".join(f"{counts[name] / counts['pictures']:.3f}" for name in ways_names)
        print(f"| {row} | {counts['pictures']} | {rates} |")


if __name__ == "__main__":
    main()
