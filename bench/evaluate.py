"""``imgsearch evaluate`` on a held-out demo collection: the numbers issue 18 asks for.

A collection of ``--images`` images (seed ``--seed``, not one the shipped ``demo-shapes``
model was trained on) is generated without ``--leave-out`` colour + shape combinations,
indexed with ``demo-shapes`` and its COCO boxes imported (each object a region). Then,
through the command line as a user runs it:

1. ``imgsearch evaluate queries.jsonl`` with the shipped calibration;
2. ``imgsearch evaluate queries-fit.jsonl --fit-calibration`` on a copy of the index
   (disjoint queries: other phrasings, other example and region images);
3. ``imgsearch evaluate queries.jsonl`` with the refitted calibration, and its
   reliability diagram.

    python bench/evaluate.py [--images 3000] [--seed 101] [--dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from imgsearch.demo.queries import EVALUATE, FIT, write_query_files

LEFT_OUT = (
    "red star",
    "orange square",
    "yellow circle",
    "green cross",
    "blue hexagon",
    "purple triangle",
)


def imgsearch(*args: str) -> None:
    print(f"\n$ imgsearch {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "imgsearch.cli.main", *args], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the collection here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.dir or Path(scratch)).resolve()
        collection = generate_collection(
            folder / "collection", args.images, args.seed, leave_out=LEFT_OUT
        )
        write_query_files(collection)
        index = folder / "index"
        if not index.exists():
            imgsearch(
                "index", str(collection.root), "--index", str(index), "--model", "demo-shapes",
                "--annotations", str(collection.root / ANNOTATIONS), "--quiet",
            )  # fmt: skip
        imgsearch("evaluate", str(collection.root / EVALUATE), "--index", str(index))
        refit = folder / "index-refit"
        shutil.rmtree(refit, ignore_errors=True)
        shutil.copytree(index, refit)
        imgsearch(
            "evaluate", str(collection.root / FIT), "--index", str(refit), "--fit-calibration"
        )
        imgsearch(
            "evaluate", str(collection.root / EVALUATE), "--index", str(refit),
            "--diagram", str(folder / "reliability.svg"),
        )  # fmt: skip


if __name__ == "__main__":
    main()
