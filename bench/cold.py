"""Whole-process wall time of command-line calls: what a user waits for at the terminal.

Each command runs ``--runs`` times as a fresh process (warm file cache); the median and
the fastest are printed. The first piece of issue 20's cold-start benchmark: commands
that load no model (``--help``, a command's own help, ``status``), and a one-off text
search on each ``--search`` index (its own model: load, embed the query, search, print).

    python bench/cold.py [--runs 7] [--index PATH] [--search INDEX ...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def wall(argv: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--index", default=None, help="An index for `status` (optional).")
    parser.add_argument(
        "--search", action="append", default=[], help="An index to search once (repeatable)."
    )
    args = parser.parse_args()
    command = shutil.which("imgsearch") or f"{sys.prefix}/bin/imgsearch"
    calls = [["--help"], ["search", "--help"], ["models", "list"]]
    if args.index:
        calls.append(["status", "--index", args.index])
    for index in args.search:
        calls.append(["search", "a red bicycle", "--top", "5", "--index", index])
    reference = wall([sys.executable, "-c", "pass"], args.runs)
    print("| call | median | fastest |\n|---|---|---|")
    print(
        f"| python -c pass (reference) | {reference[0] * 1000:.0f} ms | {reference[1] * 1000:.0f} ms |"
    )
    for call in calls:
        median, fastest = wall([command, *call], args.runs)
        print(f"| imgsearch {' '.join(call)} | {median * 1000:.0f} ms | {fastest * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
