"""HTTP API under load: text search, vectorizeText and vectorizeImage (100k-image index).

The real server (``imgsearch serve``, uvicorn, one process) on loopback, with
the ViT-B/32 architecture (random weights cost what trained ones do) and an
index of 100,000 clustered 512-d vectors. ``--clients`` threads with
keep-alive sessions send requests back to back for ``--seconds`` per
endpoint; every text is new, so no cache helps; vectorizeImage uploads a
1024×768 JPEG. Reference, measured in the same run: the same work in-process
and single-threaded (``Index.search`` / ``Embedder.embed_texts`` /
``Embedder.embed_images``), so the table shows what HTTP, JSON and
concurrency add on this machine.

    python bench/http.py [--clients 1,4,8] [--seconds 20] [--size 100000]

Targets (issue 5): text search p50 ≤ 40 ms, p99 ≤ 120 ms on 2 cores.
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
import io
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable

import requests
from PIL import Image

from embed import model_folder, query_text, synthetic_jpegs
from imgsearch import Embedder, Index
from search import fill_index, latencies, percentiles

# Query numbers for the load runs (the in-process references use 0-99 and 17,000+).
QUERY_NUMBERS = itertools.count(100)


def upload_jpeg() -> bytes:
    """A 1024×768 JPEG, as apps upload photos (bench/embed.py's first photo, resized)."""
    with Image.open(synthetic_jpegs(1)[0]) as photo:
        small = photo.convert("RGB").resize((1024, 768))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    send: Callable[[requests.Session, int], requests.Response],
    clients: int,
    seconds: float,
    server_pid: int,
) -> tuple[float, float, float, int, float, float]:
    """Requests/s, p50 ms, p99 ms, errors, server and client CPU ms per request."""
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    counter = QUERY_NUMBERS  # shared by every run: no run repeats an earlier run's texts

    def client() -> None:
        session = requests.Session()
        mine: list[float] = []
        while time.monotonic() < stop:
            with lock:
                n = next(counter)
            start = time.perf_counter()
            response = send(session, n)
            mine.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                with lock:
                    errors[0] += 1
        with lock:
            samples.extend(mine)

    started = time.monotonic()
    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    p50, p99 = percentiles(samples)
    per_request = 1000 / max(len(samples), 1)
    return (
        len(samples) / elapsed,
        p50,
        p99,
        errors[0],
        server_cpu * per_request,
        client_cpu * per_request,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients", default="1,4,8", help="Concurrent clients, comma-separated runs."
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument(
        "--endpoints", default="search,text,image", help="Which to load: search, text, image."
    )
    parser.add_argument(
        "--precision", choices=("fp32", "int8"), default="fp32", help="The server's model."
    )
    args = parser.parse_args()

    _, exported = model_folder()
    embedder = Embedder(f"{exported}:{args.precision}")
    folder = Path(tempfile.mkdtemp(prefix="imgsearch-bench-http-"))
    server: subprocess.Popen[str] | None = None
    try:
        fill_index(folder, embedder, args.size)
        with Index.open(folder, encoder=embedder) as index:
            ref_search = latencies(lambda i: index.search(query_text(i), top=10), 100)
        ref_text = latencies(lambda i: embedder.embed_texts([query_text(17_000 + i)]), 100)
        jpeg = upload_jpeg()
        ref_image = latencies(lambda i: embedder.embed_images([jpeg]), 30)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(folder),
             "--model", f"{exported}:{args.precision}", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + "/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
        requests.post(
            base + "/v1/search", json={"text": "warm up"}, timeout=60
        )  # loads the vector index

        def search(session: requests.Session, n: int) -> requests.Response:
            return session.post(
                base + "/v1/search", json={"text": query_text(n), "top": 10}, timeout=60
            )

        def vectorize(session: requests.Session, n: int) -> requests.Response:
            return session.post(
                base + "/computervision/retrieval:vectorizeText",
                params={"api-version": "2024-02-01"},
                json={"text": query_text(n)},
                timeout=60,
            )

        def vectorize_image(session: requests.Session, n: int) -> requests.Response:
            return session.post(
                base + "/computervision/retrieval:vectorizeImage",
                params={"api-version": "2024-02-01"},
                data=jpeg,
                headers={"Content-Type": "application/octet-stream"},
                timeout=60,
            )

        rows = []
        chosen = set(args.endpoints.split(","))
        endpoints = [
            (name, send, ref)
            for key, name, send, ref in (
                ("search", "POST /v1/search (text)", search, ref_search),
                ("text", "POST vectorizeText", vectorize, ref_text),
                ("image", "POST vectorizeImage (1024×768 JPEG)", vectorize_image, ref_image),
            )
            if key in chosen
        ]
        for clients in (int(c) for c in args.clients.split(",")):
            for name, send, ref in endpoints:
                rate, p50, p99, errors, server_ms, client_ms = load(
                    send, clients, args.seconds, server.pid
                )
                rows.append(
                    (
                        name,
                        clients,
                        rate,
                        p50,
                        p99,
                        errors,
                        ref[0],
                        p50 / ref[0],
                        server_ms,
                        client_ms,
                    )
                )
                print(f"{name} x{clients}: {rate:.1f} req/s, p50 {p50:.1f} ms", file=sys.stderr)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{args.size:,} vectors (512-d), ViT-B/32 text tower (random weights), "
          f"{args.seconds:.0f} s per run, {os.cpu_count()} CPUs shared by server and clients\n")  # fmt: skip
    print("| endpoint | clients | req/s | p50 ms | p99 ms | errors | in-process p50 ms | p50 / in-process | server CPU ms/req | client CPU ms/req |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, clients, rate, p50, p99, errors, ref50, ratio, server_ms, client_ms in rows:
        print(f"| {name} | {clients} | {rate:.1f} | {p50:.1f} | {p99:.1f} | {errors} | {ref50:.1f} | {ratio:.2f}× | {server_ms:.1f} | {client_ms:.1f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
