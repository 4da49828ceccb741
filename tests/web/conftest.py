"""A live ``imgsearch serve`` on a generated demo collection, and a real headless Chromium.

The browser is Debian's ``chromium`` package driven by Playwright through
``executable_path``: nothing is downloaded at test time (no ``playwright install``).
Without a Chromium the tests are skipped, unless ``IMGSEARCH_REQUIRE_BROWSER=1`` (set
by CI) turns that into a failure.

Every page a test opens is watched (:class:`Watch`): console errors, uncaught
exceptions, ``alert()`` dialogs, 5xx answers and requests to any other origin fail
the test. A screenshot of the page as the test left it is saved under
``build/test-artifacts/browser`` (or ``$IMGSEARCH_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, LabeledImage, generate_collection

SEED = 424242  # as tests/demo/test_demo_model.py: a collection the model never saw
XSS_NAME = "<img src=x onerror=alert(1)>.png"
XSS_CAPTION = 'xssmarker <script>window.__pwned = 1</script><img src=y onerror="window.__pwned=2">'
API_KEY = "browser-test-key"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(os.environ.get("IMGSEARCH_TEST_ARTIFACTS", "build/test-artifacts")) / "browser"
HOLIDAY_TIME = 1_561_939_200  # 2019-07-01 UTC: the holiday folder's files are that old


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def docs_screenshot(page: Any, name: str) -> None:
    """With ``IMGSEARCH_UPDATE_SCREENSHOT=1``, the page as it is now becomes
    ``docs/images/NAME.png`` (the README's pictures; 256 colours keep each a fraction of
    the size, the look unchanged)."""
    if os.environ.get("IMGSEARCH_UPDATE_SCREENSHOT") != "1":
        return
    import io

    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    shot.quantize(256, method=Image.Quantize.MEDIANCUT).save(
        DOCS_IMAGES / f"{name}.png", optimize=True
    )


def chromium_path() -> str:
    for candidate in (
        os.environ.get("IMGSEARCH_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    reason = "no Chromium: apt-get install chromium (or set IMGSEARCH_CHROMIUM)"
    if os.environ.get("IMGSEARCH_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Site:
    """A served collection: the demo shapes plus a dated 'holiday' folder."""

    url: str
    root: Path
    shapes: Collection
    holiday: Collection
    xss_path: Path
    process: subprocess.Popen[bytes]

    def by_name(self) -> dict[str, LabeledImage]:
        images = [*self.shapes.images, *self.holiday.images]
        return {image.path.name: image for image in images}

    def record(self, image_id: int) -> dict[str, Any]:
        headers = {"Ocp-Apim-Subscription-Key": API_KEY}
        answer = httpx.get(f"{self.url}v1/images/{image_id}", headers=headers, timeout=10)
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(index: Path, root: Path, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """``imgsearch serve`` in a process of its own, once it answers /health."""
    port = _free_port()
    command = [sys.executable, "-m", "imgsearch.cli.main", "serve", "--index", str(index),
               "--root", str(root), "--port", str(port), "--log-level", "warning"]  # fmt: skip
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    process = subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=environment
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"imgsearch serve exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}health", timeout=1).status_code in (200, 401):
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"imgsearch serve did not answer: {log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def collection_root(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Collection, Collection, Path, Path]:
    """700 demo images (seed :data:`SEED`), 30 more in ``holiday/`` dated July 2019, a
    file named like an HTML tag with a caption holding a script; indexed."""
    root = tmp_path_factory.mktemp("site") / "photos"
    shapes = generate_collection(root / "shapes", 700, seed=SEED)
    holiday = generate_collection(root / "holiday", 30, seed=SEED + 1)
    for image in holiday.images:
        os.utime(image.path, (HOLIDAY_TIME, HOLIDAY_TIME))
    xss = shapes.images[0].path.with_name(XSS_NAME)
    shutil.copyfile(shapes.images[0].path, xss)
    index = root.parent / "index"
    with Index.open(index, model="demo-shapes") as opened:
        opened.update([root])
        opened.annotate(xss, caption=XSS_CAPTION, tags=["<b>bold</b>"])
    return root, shapes, holiday, xss, index


@pytest.fixture(scope="session")
def site(collection_root: tuple[Path, Collection, Collection, Path, Path]) -> Iterator[Site]:
    root, shapes, holiday, xss, index = collection_root
    process, url = serve(index, root, root.parent / "serve.log")
    yield Site(url, root, shapes, holiday, xss, process)
    _stop(process)


@pytest.fixture(scope="session")
def keyed_site(collection_root: tuple[Path, Collection, Collection, Path, Path]) -> Iterator[Site]:
    """The same index served by a second server that wants :data:`API_KEY`."""
    root, shapes, holiday, xss, index = collection_root
    process, url = serve(index, root, root.parent / "serve-keyed.log", IMGSEARCH_API_KEYS=API_KEY)
    yield Site(url, root, shapes, holiday, xss, process)
    _stop(process)


@pytest.fixture
def fresh_site(tmp_path: Path) -> Iterator[Site]:
    """A small collection of its own (20 images), for tests that change what is indexed.
    Name it before ``open_page`` in a test's arguments: fixtures are torn down in reverse,
    so the server then outlives the page (a page still polling a stopped server logs
    connection errors, which fail the test)."""
    root = tmp_path / "photos"
    shapes = generate_collection(root / "first", 20, seed=SEED + 2)
    with Index.open(tmp_path / "index", model="demo-shapes") as opened:
        opened.update([root])
    process, url = serve(tmp_path / "index", root, tmp_path / "serve.log")
    yield Site(url, root, shapes, shapes, shapes.images[0].path, process)
    _stop(process)


@pytest.fixture(scope="session")
def annotated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """40 images whose COCO boxes were imported as regions (the demo model)."""
    folder = tmp_path_factory.mktemp("annotated")
    root = folder / "photos"
    shapes = generate_collection(root, 40, seed=SEED + 3)
    with Index.open(folder / "index", model="demo-shapes") as opened:
        opened.update([root])
        report = opened.import_annotations(root / ANNOTATIONS, [root])
        assert report.problems == []
    process, url = serve(folder / "index", root, folder / "serve.log")
    yield Site(url, root, shapes, shapes, shapes.images[0].path, process)
    _stop(process)


@pytest.fixture(scope="module")
def video_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Three WebM videos (a red star on screen 3–6 s in the first) among 20 images."""
    from imgsearch.demo.videos import Appearance, VideoSpec, write_video

    folder = tmp_path_factory.mktemp("videos")
    root = folder / "media"
    shapes = generate_collection(root / "photos", 20, seed=SEED + 5)
    star = Appearance("star", "red", 3.0, 6.0, begin=(0.3, 0.4), finish=(0.6, 0.5), diameter=0.3)
    circle = Appearance("circle", "blue", 1.0, 4.0, begin=(0.5, 0.5), finish=(0.5, 0.5))
    write_video(root / "star.webm", VideoSpec(9.0, (circle, star)))
    write_video(root / "circle.webm", VideoSpec(6.0, (circle,), seed=1))
    write_video(root / "empty.webm", VideoSpec(5.0, seed=2))
    with Index.open(folder / "index", model="demo-shapes") as opened:
        assert opened.update([root]).counts["added"] == 23
    process, url = serve(folder / "index", root, folder / "serve.log")
    yield Site(url, root, shapes, shapes, root / "star.webm", process)
    _stop(process)


@pytest.fixture(scope="module")
def pdf_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A three-page PDF whose second page shows a red star (the others none), among 20
    images."""
    from tests.kinds.pdfs import write_pdf

    folder = tmp_path_factory.mktemp("pdfs")
    root = folder / "media"
    shapes = generate_collection(root / "photos", 20, seed=SEED + 6)
    sources = generate_collection(folder / "page-sources", 40, seed=SEED + 7).images
    star = next(i for i in sources if i.contains("star") and i.contains("red"))
    plain = [i for i in sources if not i.contains("star")][:2]
    pages = [Image.open(i.path).convert("RGB") for i in (plain[0], star, plain[1])]
    write_pdf(root / "catalogue.pdf", pages)
    with Index.open(folder / "index", model="demo-shapes") as opened:
        assert opened.update([root]).counts["added"] == 21
    process, url = serve(folder / "index", root, folder / "serve.log")
    yield Site(url, root, shapes, shapes, root / "catalogue.pdf", process)
    _stop(process)


# Package scope: Playwright's sync API keeps an asyncio loop running in this thread while
# it lives, and asyncio.run() in any later test would fail; it ends with these tests.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What a page did that a test must not let pass."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed_console: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._dialog)
        page.on("request", self._request)
        page.on(
            "response",
            lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

    def _console(self, message: Any) -> None:
        if message.type == "error" and not any(a in message.text for a in self.allowed_console):
            self.console_errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        url = request.url
        self.requests.append(url)
        if not (url.startswith(self.origin) or url.startswith(("blob:", "data:"))):
            self.foreign.append(url)

    def problems(self) -> dict[str, list[str]]:
        found = {
            "console errors": self.console_errors,
            "uncaught exceptions": self.page_errors,
            "dialogs (a script ran)": self.dialogs,
            "5xx answers": self.server_errors,
            "requests to other origins": self.foreign,
        }
        return {name: items for name, items in found.items() if items}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page on a touch phone (390 × 844, mobile, touch events), closed after the test."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    yield context.new_page()
    context.close()


def said(page: Any, pattern: str) -> str:
    """The page's message once it matches ``pattern`` (a regular expression) and the grid
    is no longer busy."""
    page.wait_for_function(
        "p => new RegExp(p).test(document.querySelector('#message').textContent)"
        " && !document.querySelector('#grid').hasAttribute('aria-busy')",
        arg=pattern,
    )
    return str(page.inner_text("#message"))


@pytest.fixture
def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``open_page(site, width=…, height=…)``: a fresh browser context on a watched page."""
    opened: list[tuple[Any, Any, Watch]] = []

    def open_(
        site: Site, *, width: int = 1280, height: int = 900, allow: tuple[str, ...] = ()
    ) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        watch = Watch(site.url.rstrip("/"), allowed_console=list(allow))
        watch.attach(page)
        page.set_default_timeout(15_000)
        opened.append((context, page, watch))
        page.watch = watch
        return page

    yield open_
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for number, (context, page, watch) in enumerate(opened):
        suffix = f"-{number}" if number else ""
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}{suffix}.png"), full_page=False)
        problems.update(watch.problems())
        context.close()
    assert not problems, problems
