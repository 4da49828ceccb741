"""The web page in a real browser: from pressing Enter to the first row of thumbnails.

A demo collection (``--images``, default 5,000 generated shape images, cached in
``.bench/ui``) indexed with the shipped ``demo-shapes`` model, served by a real
``imgsearch serve`` on loopback, searched through the page in headless Chromium
(Debian's ``chromium``, driven by Playwright). For each of ``--queries`` texts the page
is timed from the form's submit (what Enter does) until every tile of the first row of
results has painted its picture — first the answer's inline preview, then its
thumbnail (both reported); the reference, in the same
run and the same browser, is the ``/v1/search`` call alone (``fetch`` of the same body,
JSON read). Every text is new to the server (no text-vector cache hit), and the two
alternate which goes first. Each is timed on a settled page (the thumbnails of the last
results loaded, as when a user has looked at them before searching again).

Three passes: thumbnails not made yet (the server makes each on first request), made
but not in the browser's cache, and in the browser's cache (the page showed the same
results once just before, as when a user searches again for something seen).

    python bench/ui.py [--images 5000] [--queries 30]

Target (issue 14): the page adds ≤ 50 ms p50 over the API call, on 2 cores; (issue 38):
the first row painted ≤ 50 ms p50 after the search's answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

# ruff: noqa: E402 (imports follow the path fix below)
# bench/http.py would shadow the standard library's `http` for every import made by a
# script run from this folder: look in this folder last (as bench/http.py explains).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE] + [str(_HERE)]

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import time
from typing import Any

import httpx

from imgsearch import Index
from imgsearch.demo.collection import generate_collection
from imgsearch.demo.shapes import COLOURS, SHAPES

CACHE = Path(".bench/ui")
PAGE_SIZE = 40  # what the page asks for (js/main.js PAGE)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
WEB = Path(__file__).resolve().parents[1] / "src" / "imgsearch" / "web"

# Runs in the page: submit the search form as Enter does, then wait until the browser
# reports (Element Timing API: the tiles carry `elementtiming`) that every thumbnail of
# the first row has been painted. Nothing polls (polling would force layouts and steal
# the main thread from the page): each paint entry is checked as it comes, and the first
# row is read after a paint, when the layout is clean. Also read from Resource Timing when the
# page's own search call was sent and answered, to split the time.
TIME_PAGE = """async (text) => {
  const q = document.querySelector('#q');
  const grid = document.querySelector('#grid');
  const painted = new Map();  // each thumbnail's paint
  const previewed = new Map();  // its first paint: the answer's inline preview, if it had one
  let row = null, done = null;
  const finished = new Promise((resolve) => { done = resolve; });
  // Called after paints only, when the layout is clean: reading it then costs nothing.
  const check = () => {
    const tiles = [...grid.querySelectorAll('.tile')];
    if (!row && tiles.length && q.value === text && !grid.hasAttribute('aria-busy')) {
      // the row is the tiles' <li>s' (a tile sits at the top of its own <li>)
      const top = tiles[0].parentElement.offsetTop;
      row = tiles.filter((t) => t.parentElement.offsetTop === top).map((t) => t.querySelector('img'));
    }
    if (row && row.every((img) => painted.has(img))) done();
  };
  const paints = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const time = entry.renderTime || entry.loadTime;
      if (!previewed.has(entry.element)) previewed.set(entry.element, time);
      if (!entry.url.startsWith('data:')) painted.set(entry.element, time);
    }
    check();
  });
  paints.observe({ type: 'element' });
  performance.clearResourceTimings();
  q.value = text;
  const start = performance.now();
  document.querySelector('#search').requestSubmit();
  // a row that never paints is reported, not waited on for ever
  const painting = await Promise.race([finished.then(() => true),
    new Promise((resolve) => setTimeout(() => resolve(false), 20000))]);
  paints.disconnect();
  if (!painting) {
    return { stuck: row ? row.map((img) => [painted.has(img), previewed.has(img), img.currentSrc.slice(-40), img.complete]) : 'no row', tiles: grid.querySelectorAll('.tile').length, busy: grid.hasAttribute('aria-busy'), q: q.value };
  }
  const call = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/v1/search'));
  return {
    total: Math.max(...row.map((img) => painted.get(img))) - start,
    preview: Math.max(...row.map((img) => previewed.get(img))) - start,
    sent: call ? call.startTime - start : NaN,
    answered: call ? call.responseEnd - start : NaN,
  };
}"""

# The same call as the page's first page: as many previews as it asks for (the rows on
# screen, js/results.js).
TIME_API = """async (text) => {
  const grid = document.querySelector('#grid');
  const row = parseFloat(getComputedStyle(grid).getPropertyValue('--row')) || 168;
  const rows = Math.max(2, Math.ceil(window.innerHeight / row));
  const previews = Math.min(PAGE_SIZE, rows * Math.max(1, Math.round(grid.clientWidth / row)));
  const body = {parts: [{text, weight: 1}], top: PAGE_SIZE, offset: 0, previews};
  const start = performance.now();
  const response = await fetch('/v1/search', {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json'}});
  await response.json();
  return performance.now() - start;
}""".replace("PAGE_SIZE", str(PAGE_SIZE))


def collection(count: int) -> tuple[Path, Path]:
    root = CACHE / f"collection-{count}"
    index = CACHE / f"index-{count}"
    generate_collection(root, count, seed=2024)
    with Index.open(index, model="demo-shapes") as opened:
        report = opened.update([root])
    print(f"collection: {count} images, index {report.counts}", flush=True)
    return root.resolve(), index.resolve()


def serve(index: Path, root: Path, thumbnails: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index),
               "--root", str(root), "--port", str(port), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "IMGSEARCH_THUMBNAIL_CACHE": str(thumbnails)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            if httpx.get(url + "health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("imgsearch serve did not start")


def chromium() -> str:
    found = os.environ.get("IMGSEARCH_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise SystemExit("needs Debian's chromium: apt-get install chromium")
    return found


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


# A user reads the results before the next search: every thumbnail shown has loaded.
SETTLED = (
    "() => [...document.querySelectorAll('#grid img')]"
    ".every((img) => img.complete && !img.classList.contains('previewed'))"
)


def variant(text: str, number: int) -> str:
    """``text`` in the ``number``-th mix of upper and lower case: the tokenizer lower-cases,
    so the hits are the same, but the server's text cache has never seen it."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    chars = list(text)
    for bit, index in enumerate(letters):
        if number >> bit & 1:
            chars[index] = chars[index].upper()
    return "".join(chars)


def run_pass(page: Any, texts: list[str], number: int, warm: bool) -> dict[str, list[float]]:
    """Each text through the API and through the page; ``warm``: the page showed the
    same results once before (its thumbnails are in the browser's cache)."""
    times: dict[str, list[float]] = {"page": [], "api": [], "answered": [], "preview": []}
    for n, text in enumerate(texts):
        if warm:
            page.wait_for_function(SETTLED)
            page.evaluate(TIME_PAGE, variant(text, 100 + number))
        first, second = (TIME_API, TIME_PAGE) if n % 2 == 0 else (TIME_PAGE, TIME_API)
        page.wait_for_function(SETTLED)
        a = page.evaluate(first, variant(text, 1 + 2 * number))  # new to the text cache
        page.wait_for_function(SETTLED)
        b = page.evaluate(second, variant(text, 2 + 2 * number))
        api, shown = (a, b) if first is TIME_API else (b, a)
        if "stuck" in shown:
            raise SystemExit(f"the first row of {text!r} never painted: {shown}")
        times["api"].append(api)
        times["page"].append(shown["total"])
        times["answered"].append(shown["answered"])
        times["preview"].append(shown["preview"])
    return times


def request_load(url: str, paths: list[str], seconds: float = 5.0) -> tuple[float, float]:
    """Requests/s and p50 ms of GETs of ``paths`` (round robin) over six keep-alive
    connections, what a browser opens to one HTTP/1.1 server."""
    import concurrent.futures

    clients = [httpx.Client(base_url=url) for _ in range(6)]
    stop = time.monotonic() + seconds

    def run(n: int) -> list[float]:
        mine = []
        for k in itertools.count(n):
            if time.monotonic() > stop:
                return mine
            start = time.perf_counter()
            clients[n].get(paths[k % len(paths)]).raise_for_status()
            mine.append((time.perf_counter() - start) * 1000)
        return mine

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
        every = [x for mine in pool.map(run, range(len(clients))) for x in mine]
    for client in clients:
        client.close()
    return len(every) / (time.monotonic() - began), statistics.median(every)


def thumbnail_load(url: str, ids: list[int]) -> list[tuple[str, float, float]]:
    """Cached 256 px thumbnails against ``GET /health`` on the same server: the floor of
    any request through the same middleware."""
    thumbnails = [f"v1/images/{i}/thumbnail?size=256" for i in ids]
    return [
        ("GET /health", *request_load(url, ["health"])),
        ("GET /v1/images/{id}/thumbnail (cached, 256 px)", *request_load(url, thumbnails)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=30)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root, index = collection(options.images)
    thumbnails = CACHE / "thumbnails"
    shutil.rmtree(thumbnails, ignore_errors=True)  # the first pass makes them
    names = [f"{colour} {shape}" for colour, shape in itertools.product(COLOURS, SHAPES)]
    texts = names[: options.queries]
    if len(texts) < options.queries:
        raise SystemExit(f"at most {len(names)} queries: one per colour and shape")
    process, url = serve(index, root, thumbnails)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_function(
                "() => /newest first/.test(document.querySelector('#message').textContent)"
            )
            page.evaluate(TIME_PAGE, "red  circle")  # words the model reads: hits to paint
            cdp = page.context.new_cdp_session(page)
            for number, (label, cache_disabled) in enumerate(
                (
                    ("thumbnails made on request", True),
                    ("thumbnails made, browser cache empty", True),
                    ("thumbnails in the browser's cache", False),
                )
            ):
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": cache_disabled})
                times = run_pass(page, texts, number, warm=not cache_disabled)
                after = [t - a for t, a in zip(times["page"], times["answered"], strict=True)]
                early = [t - a for t, a in zip(times["preview"], times["answered"], strict=True)]
                rows.append(
                    (label, *quantiles(times["page"]), *quantiles(times["api"]),
                     statistics.median(times["answered"]), statistics.median(early),
                     statistics.median(after))
                )  # fmt: skip
            browser.close()
        seen = httpx.post(url + "v1/search", json={"text": texts[0], "top": 200}).json()
        load = thumbnail_load(url, [hit["id"] for hit in seen["hits"]])
    finally:
        process.terminate()
        process.wait(10)
    size = sum(p.stat().st_size for p in WEB.rglob("*") if p.suffix in (".js", ".css"))
    print(f"\n{options.images} images, {options.queries} queries per pass, 1280×900, "
          f"first page {PAGE_SIZE} hits; JS + CSS {size:,} bytes uncompressed\n")  # fmt: skip
    print("| pass | page p50 ms | page p95 ms | /v1/search p50 ms | p95 ms | page − API p50 ms "
          "| ratio p50 | page's call answered p50 | answer → first row painted (previews) p50 "
          "| answer → thumbnails painted p50 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, page50, page95, api50, api95, answered, early, after in rows:
        print(f"| {label} | {page50:.1f} | {page95:.1f} | {api50:.1f} | {api95:.1f} | "
              f"{page50 - api50:+.1f} | {page50 / api50:.2f} | {answered:.1f} | {early:.1f} "
              f"| {after:.1f} |")  # fmt: skip
    print("\nThe thumbnail route, six keep-alive connections (Python clients on the same CPUs):\n")
    print("| request | req/s | p50 ms |\n|---|---|---|")
    for label, rate, p50 in load:
        print(f"| {label} | {rate:.0f} | {p50:.2f} |")


if __name__ == "__main__":
    main()
