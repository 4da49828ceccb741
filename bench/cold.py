"""Whole-process wall time of command-line calls: what a user waits for at the terminal.

Each command runs ``--runs`` times as a fresh process (warm file cache); the median and
the fastest are printed. The first piece of issue 20's cold-start benchmark: commands
that load no model (``--help``, a command's own help, ``status``), and a one-off text
search on each ``--search`` index (its own model: load, embed the query, search, print),
and with ``--resident`` the same search answered by an ``imgsearch daemon`` of that index
(started, waited for, stopped by this script). The reference for ``search``: rclip's own
cold search (``rclip -n``: no re-indexing) of ``--rclip-folder``, run by ``--rclip`` (its
own virtual environment) with the models in ``--rclip-datadir`` (random ones of its
architecture, written by ``bench/rclip_models.py``; index the folder with rclip first).

    python bench/cold.py [--runs 7] [--index PATH] [--search INDEX ...] [--resident]
        [--rclip .bench/rclip-venv/bin/rclip --rclip-datadir DIR --rclip-folder IMAGES]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(
    argv: list[str],
    runs: int,
    *,
    resident: bool = False,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, float]:
    """Median and fastest of ``runs`` whole processes (local work unless ``resident``).
    A resident call's query text gets the run's number appended: a daemon keeps the
    vectors of texts it has embedded, and each call must pay for its own."""
    env = {**os.environ, "IMGSEARCH_RESIDENT": "on" if resident else "off", **(env or {})}
    times = []
    for run in range(runs):
        call = [*argv[:2], f"{argv[2]} {run}", *argv[3:]] if resident else argv
        started = time.perf_counter()
        done = subprocess.run(call, capture_output=True, check=False, env=env, cwd=cwd)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--index", default=None, help="An index for `status` (optional).")
    parser.add_argument(
        "--search", action="append", default=[], help="An index to search once (repeatable)."
    )
    parser.add_argument(
        "--resident", action="store_true", help="Also search each index through its daemon."
    )
    parser.add_argument("--rclip", default=None, help="rclip's executable (reference row).")
    parser.add_argument("--rclip-datadir", default=None, help="RCLIP_DATADIR for it.")
    parser.add_argument("--rclip-folder", default=None, help="The folder rclip searches.")
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
    if args.rclip:
        median, fastest = wall(
            [str(Path(args.rclip).resolve()), "-n", "-t", "5", "a red bicycle"],
            args.runs,
            cwd=args.rclip_folder,
            env={"RCLIP_DATADIR": args.rclip_datadir or ""},
        )
        print(f"| rclip -n -t 5 a red bicycle (reference) | {median * 1000:.0f} ms "
              f"| {fastest * 1000:.0f} ms |")  # fmt: skip
    if args.resident:
        for index in args.search:
            call = ["search", "a red bicycle", "--top", "5", "--index", index]
            with daemon(command, index):
                median, fastest = wall([command, *call], args.runs, resident=True)
            print(
                f"| imgsearch {' '.join(call)} (resident, a new text each run) "
                f"| {median * 1000:.0f} ms "
                f"| {fastest * 1000:.0f} ms |"
            )


class daemon:  # noqa: N801 (a context manager, used like a function)
    """``imgsearch daemon --index INDEX`` running for the length of a ``with`` block."""

    def __init__(self, command: str, index: str) -> None:
        self.argv = [command, "daemon", "--index", index]

    def __enter__(self) -> None:
        self.log = Path(tempfile.mkstemp(suffix=".log")[1])
        with self.log.open("w") as sink:
            self.process = subprocess.Popen(self.argv, stdout=sink, stderr=subprocess.STDOUT)
        while "answering searches" not in self.log.read_text():
            if self.process.poll() is not None:
                raise SystemExit(f"the daemon stopped: {self.log.read_text()}")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        answered = self.log.read_text().count(" answered (")
        self.log.unlink()
        if answered == 0:
            raise SystemExit("the daemon answered no call: the resident rows would be local")


if __name__ == "__main__":
    main()
