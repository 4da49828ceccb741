"""Finding small objects, measured: P@10 of "images containing this object" for a box
drawn around a small object, against whole-image vectors, annotation regions and grid
regions (issue 15's quality target).

A held-out collection in the generator's ``scenes`` mode (3–8 objects, most of them
small, in clutter; seed 424242, which no shipped model was trained on) is indexed twice
with the shipped ``demo-shapes`` model: once with its COCO annotations imported as
regions, once with grid regions (levels 2 and 3). Queries are boxes (the labelled box
plus 10% each side) around ``tiny`` or ``small`` objects; see
:mod:`tests.scaffold.objects`. Targets: annotation regions ≥ 0.9, grid ≥ 0.8, each
clearly above whole images.

    python bench/objects.py [--images 1000] [--queries 200] [--model demo-shapes]
"""

from __future__ import annotations

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import argparse
import tempfile
import time
from pathlib import Path

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, generate_collection
from tests.scaffold.objects import box_queries, object_precision

SEED = 424242


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--model", default="demo-shapes")
    parser.add_argument("--levels", default="2,3", help="grid levels")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-objects-"))
    started = time.perf_counter()
    collection = generate_collection(folder / "scenes", options.images, SEED, mode="scenes")
    print(f"generated {options.images} scenes in {time.perf_counter() - started:.0f} s")
    levels = tuple(int(n) for n in options.levels.split(","))
    with (
        Index.open(folder / "annotated", model=options.model) as annotated,
        Index.open(folder / "grid", model=options.model) as grid,
    ):
        for index in (annotated, grid):
            index.update([collection.root])
        started = time.perf_counter()
        imported = annotated.import_annotations(collection.root / ANNOTATIONS, [collection.root])
        print(f"annotations: {imported.regions} regions in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        report = grid.add_grid_regions([collection.root], levels=levels)
        print(f"grid {levels}: {report.regions} regions kept, {report.pruned} pruned, "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        queries = box_queries(collection, options.queries)
        result = object_precision(
            collection, queries, {"annotation regions": annotated, "grid regions": grid}
        )
    objects = sum(len(image.objects) for image in collection.images)
    print(f"\n{options.images} scenes ({objects} objects), {result.queries} box queries around "
          f"tiny or small objects, {options.model}\n")  # fmt: skip
    print(f"| searched | P@{result.k} |")
    print("|---|---|")
    for name, value in result.precision.items():
        print(f"| {'whole images only' if name == 'whole' else name} | {value:.3f} |")


if __name__ == "__main__":
    main()
