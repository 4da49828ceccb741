"""Words that win: does a plain search for a word put the picture showing it (or captioned
with it) first, and what does that cost searches for what pictures show?

One folder, indexed with ``demo-shapes`` and ``--ocr``: ``--images`` generated shape
pictures (seed 303), ``--words`` pictures of made-up words (``tests.scaffold.words``,
seed 9202), ``--captions`` of the shape pictures captioned with a made-up word of their
own, and ``--misnamed`` shape pictures renamed after a colour + shape they do not show
(``blue-star-0001.png``): names that lie.

- **Read words**: for every word of a word picture that the reader read as written (the
  readable cases), ``imgsearch search WORD`` — is the picture first?
- **Caption words**: for every captioned picture, its word — is it first?
- **Shapes**: every colour + shape text query, precision of its first 10 (are the
  misnamed pictures pushed in?).

Each is measured for relevance settings (rank constant K, words weight w; a picture's
words count when they hold every word the query asks for), twice for the
word queries: as ``demo-shapes`` reads them (it cannot: the words rank alone) and as if
the model could read them (a CLIP-family model reads any text: its picture ranking then
competes with the words). Reference: the relevance before issue 36 (cosine and squashed
BM25 mixed by score, weight 0.1), same index, same run. Quality only, no timing.

    python bench/words.py [--images 1000] [--words 100] [--captions 50] [--misnamed 50]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import numpy as np

import imgsearch.query.fusion as fusion
import imgsearch.query.ranking as ranking
from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.query.expression import Query, QueryPart, encode_query
from tests.scaffold.words import generate_word_pictures, made_up_word

SETTINGS = [(10, 0.0)] + [(k, w) for k in (10, 60) for w in (0.1, 0.3, 0.5, 0.7)]


class OldFusion:
    """The relevance before issue 36: (1 − w)(1 + cosine)/2 + w·bm25/(bm25 + 5)."""

    def __init__(self, cosines: object, words: dict[int, float], weight: float, **_: object):
        self._words, self._weight = words, weight

    def relevance(self, cosine: float, image_id: int | None) -> float:
        s = self._words.get(image_id, 0.0) if image_id is not None else 0.0
        return (1 - self._weight) * (1 + cosine) / 2 + self._weight * (s / (s + 5) if s else 0)


def first(index: Index, text: str, weight: float, readable: bool) -> list[int]:
    query = Query((QueryPart(text=text),), top=10, metadata_weight=weight, exact=True)
    vector = encode_query(query.parts, index.images, index.store)
    return [hit.id for hit in index.rank(vector, query, readable=readable)]


def read_words(index: Index, truth: dict[int, list[str]]) -> list[tuple[str, int]]:
    """(word, picture) for every word the reader read as written in its picture."""
    lines = index.store.texts.lines(list(truth))
    cases = []
    for image_id, words in truth.items():
        seen = {
            w.casefold() for line in lines.get(image_id, []) for w in re.findall(r"\w+", line.text)
        }
        cases += [(word, image_id) for word in words if word.casefold() in seen]
    return cases


def share(cases: list[tuple[str, int]], search: Callable[[str], list[int]]) -> float:
    return float(np.mean([search(word)[:1] == [image_id] for word, image_id in cases]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--captions", type=int, default=50)
    parser.add_argument("--misnamed", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the collection here.")
    args = parser.parse_args()
    rng = random.Random(36)
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.dir or Path(scratch)).resolve()
        shapes = generate_collection(folder / "photos" / "shapes", args.images, 303)
        pictures = generate_word_pictures(folder / "photos" / "signs", args.words, 9202)
        chosen = rng.sample(list(shapes.images), args.captions + args.misnamed)
        captioned, misnamed = chosen[: args.captions], chosen[args.captions :]
        lying, by_path = {}, {str(i.path): i for i in shapes.images}
        for n, image in enumerate(misnamed):
            wrong = rng.choice(
                [f"{c} {s}" for c in COLOURS for s in SHAPES if not image.contains(f"{c} {s}")]
            )
            target = image.path.with_name(f"{wrong.replace(' ', '-')}-{n:04d}{image.path.suffix}")
            if not target.exists():
                shutil.move(image.path, target)
            lying[str(target)] = wrong
            by_path[str(target)] = by_path.pop(str(image.path))
        with Index.open(folder / "index", model="demo-shapes") as index:
            if index.store.settings() is None:
                index.update([folder / "photos"], read_text=True)
            ids = {f.path: f.id for f in index.store.files_under([])}
            truth = {ids[str(folder / "photos" / "signs" / p.file)]: p.words for p in pictures}
            cases = read_words(index, truth)
            captions = []
            for image in captioned:
                word = made_up_word(rng).lower()
                index.annotate(str(image.path), caption=f"{word} party at the lake")
                captions.append((word, ids[str(image.path)]))
            assert not any(p in lying for p in (str(i.path) for i in captioned))
            labels = {ids[path]: image for path, image in by_path.items() if path in ids}
            shape_queries = [f"{c} {s}" for c in COLOURS for s in SHAPES]

            def precision(weight: float) -> float:
                found = []
                for text in shape_queries:
                    hits = first(index, text, weight, True)
                    found += [i in labels and labels[i].contains(text) for i in hits]
                return float(np.mean(found))

            total = sum(len(w) for w in truth.values())
            print(f"{len(cases)} of {total} words read as written; {len(captions)} captions; "
                  f"{len(lying)} misnamed pictures")  # fmt: skip
            print("| relevance | K | w | read word first (demo-shapes) | read word first (if readable) "
                  "| caption word first | shapes: precision of first 10 |")  # fmt: skip
            print("|---|---:|---:|---:|---:|---:|---:|")
            rows = [("before (score mix)", "—", 0.1, OldFusion)] + [
                ("rank fusion", k, w, fusion.Fusion) for k, w in SETTINGS
            ]
            holding = ranking._holding_the_words
            for name, k, w, kind in rows:
                ranking.Fusion = kind  # type: ignore[misc,assignment]
                # before: every word match counted, one word of several too
                ranking._holding_the_words = (  # type: ignore[assignment]
                    holding if kind is fusion.Fusion else lambda store, query, found: found
                )
                if isinstance(k, int):
                    fusion.RANK_CONSTANT = k
                unread = share(cases, lambda word, w=w: first(index, word, w, False))
                read = share(cases, lambda word, w=w: first(index, word, w, True))
                captioned_first = share(captions, lambda word, w=w: first(index, word, w, True))
                print(f"| {name} | {k} | {w} | {unread:.3f} | {read:.3f} | {captioned_first:.3f} "
                      f"| {precision(w):.3f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
