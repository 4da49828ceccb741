"""Soak: the server under mixed load for a long while, and the index lifecycle explored longer
than the test suite does.

Part 1, **mixed load** (``--seconds``, default 600): the real server (``imgsearch serve``,
one process, loopback) over a generated collection (``--images`` demo pictures with boxes
imported as regions, plus ``--videos`` generated videos) with the shipped ``demo-shapes``
model. ``--clients`` threads send, back to back and in a fixed rotation, text searches
(every text new), thumbnails, video frames at random moments, image uploads searched by
example, and status calls; meanwhile one more thread adds a few pictures to the folder
and runs ``POST /v1/index`` every ``--index-every`` seconds. Recorded: p50 / p99 latency
per kind, every 5xx and transport error, and the server's resident memory every 5 s
(VmRSS) — the table gives it after the warm-up (the first tenth of the run) and at the
end, and its peak (VmHWM).

Part 2, **lifecycle** (``--examples``, default 200; 0 skips): the state machine of
``tests/lifecycle/machine.py`` (folder changes, CLI and server index runs, a SIGKILLed
run, searches of every kind, captions, server restarts) with random sequences instead of
the suite's fixed ones, on the embedded store.

    python bench/soak.py [--seconds 600] [--clients 4] [--images 2000] [--examples 200]

Targets (issue 34): zero 5xx; resident memory flat after warm-up; p99 of searches under load.
"""

from __future__ import annotations

from pathlib import Path

import _paths  # noqa: F401  (first: see bench/_paths.py)

# isort: split

import argparse
import base64
import io
import itertools
import json
import math
import os
import random
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from typing import Any

import requests
from PIL import Image

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.demo.videos import Appearance, VideoSpec, write_video
from tests.server.test_real_server import running_server

WORDS = tuple(COLOURS)


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def build(folder: Path, images: int, videos: int) -> tuple[Path, Path]:
    """A demo collection with its boxes as regions, and videos beside it, indexed."""
    shapes = generate_collection(folder / "media" / "shapes", images, seed=34)
    for n in range(videos):
        spec = VideoSpec(
            20.0,
            (
                Appearance(
                    SHAPES[n % 6], WORDS[n % 6], 4.0, 12.0, begin=(0.2, 0.3), finish=(0.7, 0.6)
                ),
            ),
        )
        write_video(folder / "media" / f"clip{n}.mp4", spec)
    index = folder / "index"
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([folder / "media"])
        opened.import_annotations(shapes.root / "annotations.json", [shapes.root])
    return folder / "media", index


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def call(self, kind: str, session: requests.Session, method: str, url: str, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            answer = session.request(method, url, timeout=60, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.errors[kind].append(f"transport: {exc}"[:200])
            return None
        took = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[kind].append(took)
            if answer.status_code >= 500:
                self.errors[kind].append(f"{answer.status_code}: {answer.text[:200]}")
        return answer


def upload_bytes(folder: Path) -> list[str]:
    pictures = sorted((folder / "shapes" / "images").glob("*"))[:20]
    encoded = []
    for path in pictures:
        with Image.open(path) as picture:
            buffer = io.BytesIO()
            picture.convert("RGB").save(buffer, "JPEG", quality=90)
        encoded.append(base64.b64encode(buffer.getvalue()).decode())
    return encoded


def client(base: str, stop: float, recorder: Recorder, seed: int, uploads: list[str]) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    numbers = itertools.count()
    ids: list[int] = []
    videos: list[int] = []
    kinds = itertools.cycle(
        ["search", "thumbnail", "search", "frame", "upload", "search", "status"]
    )
    while time.monotonic() < stop:
        kind = next(kinds)
        if kind == "search":
            text = f"{rng.choice(WORDS)} {rng.choice(SHAPES)} {next(numbers)}"
            answer = recorder.call(kind, session, "POST", base + "/v1/search",
                                   json={"text": text, "top": 20})  # fmt: skip
            if answer is not None and answer.status_code == 200:
                hits = answer.json()["hits"]
                ids = [h["id"] for h in hits if h["media"] == "image"] or ids
                videos = [h["id"] for h in hits if h["media"] == "video"] or videos
        elif kind == "thumbnail" and ids:
            recorder.call(kind, session, "GET", f"{base}/v1/images/{rng.choice(ids)}/thumbnail",
                          params={"size": rng.choice([128, 256, 512])})  # fmt: skip
        elif kind == "frame" and videos:
            recorder.call(kind, session, "GET", f"{base}/v1/videos/{rng.choice(videos)}/frame",
                          params={"t": round(rng.uniform(0, 20), 2)})  # fmt: skip
        elif kind == "upload":
            recorder.call(kind, session, "POST", base + "/v1/search",
                          json={"parts": [{"image_base64": rng.choice(uploads)}], "top": 10})  # fmt: skip
        elif kind == "status":
            recorder.call(kind, session, "GET", base + "/v1/status")


def indexer(base: str, media: Path, stop: float, every: float, recorder: Recorder) -> None:
    session = requests.Session()
    added = 0
    while time.monotonic() + every < stop:
        time.sleep(every)
        extra = media / "added"
        generate_collection(extra / f"batch{added}", 20, seed=1000 + added)
        added += 1
        answer = recorder.call("index", session, "POST", base + "/v1/index")
        while answer is not None and time.monotonic() < stop:
            job = recorder.call("index-poll", session, "GET", base + "/v1/index")
            if job is None or job.json()["state"] != "running":
                break
            time.sleep(0.5)


def mixed_load(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    media, index = build(folder, args.images, args.videos)
    thumbs = str(folder / "thumbs")
    with running_server(index, media, IMGSEARCH_THUMBNAIL_CACHE=thumbs) as (base, server):
        recorder = Recorder()
        uploads = upload_bytes(media)
        began = time.monotonic()
        stop = began + args.seconds
        threads = [
            threading.Thread(target=client, args=(base, stop, recorder, n, uploads))
            for n in range(args.clients)
        ]
        threads.append(
            threading.Thread(target=indexer, args=(base, media, stop, args.index_every, recorder))
        )
        for thread in threads:
            thread.start()
        samples: list[tuple[float, float]] = []
        while any(t.is_alive() for t in threads):
            samples.append((time.monotonic() - began, _memory(server.pid)[0]))
            time.sleep(5)
        for thread in threads:
            thread.join()
        rss, peak = _memory(server.pid)
    warm = [rss for at, rss in samples if at >= args.seconds / 10]
    return {
        "seconds": args.seconds,
        "clients": args.clients,
        "images": args.images,
        "videos": args.videos,
        "latency_ms": {
            kind: {
                "count": len(times),
                "p50": round(statistics.median(times), 1),
                "p99": round(sorted(times)[max(0, math.ceil(0.99 * len(times)) - 1)], 1),
            }
            for kind, times in sorted(recorder.times.items())
        },
        "errors": {kind: len(found) for kind, found in recorder.errors.items()},
        "first_errors": {kind: found[:3] for kind, found in recorder.errors.items()},
        "rss_mb": {
            "after_warm_up": round(warm[0], 1) if warm else None,
            "end": round(rss, 1),
            "max_after_warm_up": round(max(warm), 1) if warm else None,
            "peak": round(peak, 1),
            "every_minute": [round(rss, 1) for at, rss in samples if int(at) % 60 < 5],
        },
    }


def lifecycle(examples: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    from tests.lifecycle.machine import Lifecycle

    os.environ.setdefault("IMGSEARCH_PLUGINS", "tests.fakes")
    from imgsearch.models.registry import load_plugins

    load_plugins("tests.fakes")
    started = time.monotonic()
    outcome = "passed"
    try:
        run_state_machine_as_test(
            Lifecycle,
            settings=settings(
                max_examples=examples,
                stateful_step_count=60,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    except Exception as exc:  # the falsifying sequence is printed by Hypothesis above
        outcome = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
    return {
        "examples": examples,
        "steps_each": 60,
        "seconds": round(time.monotonic() - started),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--index-every", type=float, default=60)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="imgsearch-soak-") as scratch:
        if args.seconds > 0:
            results["mixed_load"] = mixed_load(args, Path(scratch))
            load = results["mixed_load"]
            print(f"\nmixed load: {args.seconds:.0f} s, {args.clients} clients + an index run "
                  f"every {args.index_every:.0f} s, {args.images} images, {args.videos} videos")  # fmt: skip
            print(f"{'kind':<12}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'5xx/errors':>12}")
            for kind, row in load["latency_ms"].items():
                errors = load["errors"].get(kind, 0)
                print(f"{kind:<12}{row['count']:>8}{row['p50']:>10}{row['p99']:>10}{errors:>12}")
            rss = load["rss_mb"]
            print(f"server RSS MB: after warm-up {rss['after_warm_up']}, max after warm-up "
                  f"{rss['max_after_warm_up']}, end {rss['end']}, peak {rss['peak']}")  # fmt: skip
            print(f"server RSS MB each minute: {rss['every_minute']}")
            for kind, found in load["first_errors"].items():
                print(f"  {kind}: {found}")
    if args.examples > 0:
        results["lifecycle"] = lifecycle(args.examples)
        run = results["lifecycle"]
        print(f"\nlifecycle: {run['examples']} random sequences of up to {run['steps_each']} "
              f"steps in {run['seconds']} s: {run['outcome']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
