"""The index lifecycle as a state machine (Hypothesis): what users do to a folder and an index,
in any order, with invariants checked after every step.

Rules change the folder (add, copy, change, move, delete, corrupt pictures; add videos),
bring the index in step (``imgsearch index`` on the command line, with or without reading
text, ``POST /v1/index`` on the server, a run killed with SIGKILL), search (text, example,
box, upload over HTTP; text, example and file on the command line; through a daemon),
caption pictures and import annotation boxes (HTTP), and restart the server or the daemon. A reference model of the folder says what the index must hold; after every step:

- no answer of the server is a 5xx and no command printed a traceback;
- after a completed run with the folder unchanged since, every file on disk is either
  indexed or reported as a failure (never both, never neither), the counts agree, and no
  hit points to a file that is not on disk;
- a picture's vector is the same however it got there (first indexed, moved, copied, by the
  CLI or the server) — the vector of the same bytes seen before;
- captions and imported boxes survive moves and re-indexing for as long as their
  picture's bytes are the same.

Used by ``tests/lifecycle/test_lifecycle.py`` (a bounded run, on SQLite and PostgreSQL) and
``bench/soak.py`` (a longer one).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from imgsearch.server import ServerSettings, create_app
from imgsearch.store import ImageRecord, open_store
from tests.cli.test_cli import imgsearch
from tests.conftest import photo

WORDS = ("red", "beach", "photo", "img", "a", "dusk")
FOLDERS = ("", "a", "a/b")
MAX_VIDEOS = 2  # per example: each costs an encode and a decode
CLI_ENV = {"HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}


@dataclass
class File:
    """A file of the folder as the reference model sees it."""

    good: bool
    digest: str
    video: bool = False


def video_bytes(seed: int) -> bytes:
    """A short generated video (two seconds, a shape crossing it)."""
    from imgsearch.demo.videos import Appearance, VideoSpec, write_video

    colour = ("red", "blue", "green")[seed % 3]
    spec = VideoSpec(
        2.0, (Appearance("star", colour, 0.5, 1.5, begin=(0.2, 0.3), finish=(0.7, 0.6)),),
        width=96, height=64, fps=5,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "clip.mp4"
        write_video(path, spec)
        return path.read_bytes()


def picture_bytes(seed: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    photo(40 + seed % 23, 32 + seed % 7, seed=seed).save(buffer, "PNG" if fmt == "png" else "JPEG")
    return buffer.getvalue()


class Lifecycle(RuleBasedStateMachine):
    """One folder, one index, one server; see the module docstring. ``store_url`` (a
    PostgreSQL URL without a collection) puts the index on PostgreSQL, one collection per
    example; otherwise it is an embedded index in a temporary folder."""

    store_url: ClassVar[str | None] = None
    kills_allowed: ClassVar[int] = 1
    """SIGKILLed index runs per example (each starts a Python process: about a second)."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="imgsearch-lifecycle-"))
        self.root = self.tmp / "photos"
        self.root.mkdir()
        if self.store_url is None:
            self.index = str(self.tmp / "index")
        else:
            joiner = "&" if "?" in self.store_url else "?"
            self.index = f"{self.store_url}{joiner}collection=lc{uuid.uuid4().hex[:12]}"
        self.files: dict[str, File] = {}
        self.synced = False  # a run completed and the folder has not changed since
        self.captions: dict[str, str] = {}  # path -> caption it must have
        self.clean: set[str] = set()  # files whose bytes are as the last completed run saw
        self.vector_of: dict[str, bytes] = {}  # content digest -> its vector, first seen
        self.serial = 0
        self.clock = time.time_ns() - 10**12  # mtimes we set, always moving on
        self.kills = 0
        self.videos = 0
        self.annotated: set[str] = set()  # paths whose imported boxes must stay regions
        self.moved: set[str] = set()  # paths moved unchanged since the last completed run
        self.daemon: subprocess.Popen[bytes] | None = None
        self.daemons = 0
        self.daemon_on = False
        """What the user did (started a daemon, not stopped it yet): the rules that need a
        daemon depend on this, never on whether it came up — a daemon of an empty index
        refuses to start, and whether a killed run committed anything is timing, which
        Hypothesis must not see in which rules it may draw."""
        self.client = self._start_server()

    # -- plumbing -------------------------------------------------------------------------

    def _start_server(self) -> TestClient:
        settings = ServerSettings(index=self.index, roots=[self.root], model="fake-hash")
        client = TestClient(
            create_app(settings), base_url="http://localhost", raise_server_exceptions=False
        )
        client.__enter__()
        return client

    def teardown(self) -> None:
        self._stop_daemon()
        self.client.__exit__(None, None, None)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def http(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, **kwargs)
        assert response.status_code < 500, f"{method} {url}: {response.status_code} {response.text}"
        return response

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = imgsearch(*args, "--index", self.index, env=CLI_ENV)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def _write(self, relative: str, content: bytes, good: bool, video: bool = False) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.clock += 10**9  # a second later than any mtime before: a change is always seen
        os.utime(path, ns=(self.clock, self.clock))
        self.files[relative] = File(good, hashlib.sha256(content).hexdigest(), video)
        self.clean.discard(relative)
        self.annotated.discard(relative)  # other bytes: what the boxes showed is gone
        if relative in self.moved:  # moved, then changed: no run can tell it was moved
            self.captions.pop(relative, None)
        self.synced = False

    def _fresh_name(self, folder: str, fmt: str) -> str:
        self.serial += 1
        return f"{folder}/img{self.serial}.{fmt}".lstrip("/")

    def _absolute(self, relative: str) -> str:
        return str((self.root / relative).resolve())

    # -- the folder -----------------------------------------------------------------------

    @rule(
        action=st.sampled_from(["add", "copy", "change", "move", "delete", "corrupt", "video"]),
        pick=st.integers(0, 10**6),
        seed=st.integers(0, 10**6),
        fmt=st.sampled_from(["png", "jpg"]),
        folder=st.sampled_from(FOLDERS),
        junk=st.binary(max_size=64),
    )
    def change_the_folder(
        self, action: str, pick: int, seed: int, fmt: str, folder: str, junk: bytes
    ) -> None:
        """One thing a user does to the folder; ``pick`` chooses the file it is done to."""
        path = self._pick(pick)
        if path is None and action != "corrupt":
            action = "add"
        if action == "video" and self.videos < MAX_VIDEOS:
            self.videos += 1
            self._write(self._fresh_name(folder, "mp4"), video_bytes(seed), good=True, video=True)
        elif action in ("add", "video"):
            self._write(self._fresh_name(folder, fmt), picture_bytes(seed, fmt), good=True)
        elif action == "corrupt":
            target = path if path is not None and seed % 2 else self._fresh_name(folder, "jpg")
            self._write(target, b"\xff\xd8\xff\xe0" + junk, good=False)
            self.captions.pop(target, None)
        else:
            assert path is not None
            getattr(self, f"_{action}")(path, seed, folder)

    def _copy(self, path: str, seed: int, folder: str) -> None:
        name = self._fresh_name(folder, path.rsplit(".", 1)[-1])
        original = self.files[path]
        self._write(name, (self.root / path).read_bytes(), original.good, original.video)

    def _change(self, path: str, seed: int, folder: str) -> None:
        if self.files[path].video:  # a video changed is another video
            self._write(path, video_bytes(seed), good=True, video=True)
        else:
            self._write(path, picture_bytes(seed, path.rsplit(".", 1)[-1]), good=True)

    def _move(self, path: str, seed: int, folder: str) -> None:
        name = self._fresh_name(folder, path.rsplit(".", 1)[-1])
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / path).rename(self.root / name)
        self.files[name] = self.files.pop(path)
        caption = self.captions.pop(path, None)
        boxed = path in self.annotated
        self.annotated.discard(path)
        if path in self.clean:  # moved unchanged: the index will know it for the same picture
            self.clean.discard(path)
            self.clean.add(name)
            self.moved.add(name)
            if caption is not None:
                self.captions[name] = caption
            if boxed:
                self.annotated.add(name)
        self.synced = False

    def _delete(self, path: str, seed: int, folder: str) -> None:
        (self.root / path).unlink()
        del self.files[path]
        self.annotated.discard(path)
        self.captions.pop(path, None)
        self.clean.discard(path)
        self.synced = False

    def _pick(self, pick: int) -> str | None:
        names = sorted(self.files)
        return names[pick % len(names)] if names else None

    # -- indexing -------------------------------------------------------------------------

    @rule(how=st.sampled_from(["cli", "server", "cli --ocr", "cli --no-ocr"]))
    def bring_the_index_in_step(self, how: str) -> None:
        """An index run: on the command line (reading text or not from now on: the vectors
        must not change with it) or the server's."""
        if how.startswith("cli"):
            reading = how.split()[1:]
            result = self.cli("index", str(self.root), "--model", "fake-hash", "--quiet", *reading)
            assert result.returncode in (0, 5), result.stderr  # 5: some files failed
        else:
            started = self.http("POST", "/v1/index")
            assert started.status_code == 202, started.text
            deadline = time.monotonic() + 60
            while (job := self.http("GET", "/v1/index").json())["state"] == "running":
                assert time.monotonic() < deadline, job
                time.sleep(0.02)
            assert job["state"] == "done", job
        self.synced = True
        self.clean = set(self.files)
        self.moved = set()

    @precondition(lambda self: self.kills < self.kills_allowed and len(self.files) > 0)
    @rule(delay=st.floats(0.3, 2.0))
    def kill_an_index_run(self, delay: float) -> None:
        """SIGKILL a command-line run at some moment: what it committed stays, nothing is
        duplicated, and the next run finishes the job."""
        self.kills += 1
        process = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "index", str(self.root),
             "--index", self.index, "--model", "fake-hash", "--batch-size", "2", "--quiet"],
            env={**os.environ, **CLI_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        else:  # it finished first: it must have finished well
            assert process.returncode in (0, 5), process.stderr.read() if process.stderr else ""
            self.synced = True
            self.clean = set(self.files)
            self.moved = set()
        finally:
            if process.stderr:
                process.stderr.close()

    # -- using it -------------------------------------------------------------------------

    @rule(
        how=st.sampled_from(["text", "like", "box", "upload", "cli text", "cli like", "cli image"]),
        word=st.sampled_from(WORDS),
        pick=st.integers(0, 10**6),
        top=st.integers(1, 30),
    )
    def search(self, how: str, word: str, pick: int, top: int) -> None:
        """A search of one kind, over HTTP or on the command line."""
        path = self._pick(pick)
        if how.startswith("cli"):
            query = [word]
            if how == "cli like" and path is not None and self._indexed_id(path):
                query = ["--like", self._absolute(path)]
            elif (
                how == "cli image" and path and self.files[path].good and not self.files[path].video
            ):
                query = ["--image", str(self.root / path)]
            result = self.cli("search", *query, "--paths", "--top", str(top))
            assert result.returncode in (0, 4), result.stderr  # 4: nothing indexed yet
            self._check_hits(result.stdout.splitlines())
            return
        part: dict[str, Any] = {"text": word}
        image_id = self._indexed_id(path) if path is not None else None
        if how in ("like", "box") and image_id is not None:
            part = {"image_id": image_id}
            if how == "box" and path is not None and self.files[path].video:
                part["box"] = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, "unit": "fraction"}
                refused = self.http("POST", "/v1/search", json={"parts": [part]})
                assert refused.status_code == 400, refused.text  # which frame? it says so
                assert refused.json()["error"]["code"] == "InvalidBox", refused.text
                return
            if how == "box":
                part["box"] = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, "unit": "fraction"}
        elif how == "upload" and path is not None and not self.files[path].video:
            data = base64.b64encode((self.root / path).read_bytes()).decode()
            part = {"image_base64": data}
        found = self.http("POST", "/v1/search", json={"parts": [part], "top": top})
        if "image_base64" in part and not self.files[path or ""].good:
            assert 400 <= found.status_code < 500, found.text  # a broken picture: the client's
            return
        if "box" in part and not self.synced and found.status_code == 404:
            return  # its file changed since it was indexed: the box cannot be cut from it
        assert found.status_code == 200, found.text
        self._check_hits([hit["path"] for hit in found.json()["hits"]])

    @rule(pick=st.integers(0, 10**6), caption=st.sampled_from(["lighthouse at dusk", "Anna's"]))
    def caption_over_http(self, pick: int, caption: str) -> None:
        path = self._pick(pick)
        image_id = self._indexed_id(path) if path is not None else None
        if path is None or image_id is None or path not in self.clean:
            return
        answer = self.http("PUT", f"/v1/images/{image_id}/annotation", json={"caption": caption})
        assert answer.status_code == 200, answer.text
        self.captions[path] = caption

    @rule(pick=st.integers(0, 10**6))
    def import_annotations_over_http(self, pick: int) -> None:
        """Boxes for up to three indexed pictures, as a COCO file sent to the server."""
        names = sorted(self.files)
        chosen = [names[(pick + n) % len(names)] for n in range(3)] if names else []
        records = {p: self._record(p) for p in dict.fromkeys(chosen) if p in self.clean}
        records = {
            p: r for p, r in records.items() if r and r.width and r.height and not r.is_video
        }
        if not records:
            return
        document = {
            "images": [
                {"id": n, "file_name": path, "width": r.width, "height": r.height}
                for n, (path, r) in enumerate(records.items(), 1)
            ],
            "categories": [{"id": 1, "name": "thing"}],
            "annotations": [
                {
                    "id": n,
                    "image_id": n,
                    "category_id": 1,
                    "bbox": [0, 0, max(2, r.width // 2), max(2, r.height // 2)],
                }
                for n, r in enumerate(records.values(), 1)
            ],
        }
        started = self.http("POST", "/v1/annotations", json=document)
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 60
        while (job := self.http("GET", "/v1/index").json())["state"] == "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.02)
        assert job["state"] == "done" and job["annotations"]["problems"] == [], job
        self.annotated |= set(records)

    @precondition(lambda self: self.daemons < 1)
    @rule()
    def start_a_daemon(self) -> None:
        """``imgsearch daemon`` for the index: command-line searches go to it from now on."""
        self.daemons += 1
        self.daemon_on = True
        self.daemon = subprocess.Popen(
            [sys.executable, "-m", "imgsearch.cli.main", "daemon", "--index", self.index],
            env={**os.environ, **CLI_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert self.daemon.stderr is not None
        line = self.daemon.stderr.readline().decode()
        if self._record_count() == 0 and "is empty" in line:  # nothing indexed: says so
            assert self.daemon.wait(timeout=30) == 4
            self.daemon.stderr.close()
            self.daemon = None
            return
        assert "answering searches" in line, line + self.daemon.stderr.read().decode()

    @precondition(lambda self: self.daemon_on)
    @rule(word=st.sampled_from(WORDS))
    def search_through_the_daemon(self, word: str) -> None:
        """Through the daemon where it came up; where it refused (an empty index) the call
        runs locally, and must answer the same either way."""
        entry = "from imgsearch.cli.entry import run; run()"
        done = subprocess.run(
            [sys.executable, "-c", entry, "search", word, "--index", self.index, "--paths"],
            env={**os.environ, **CLI_ENV}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 4), done.stderr
        self._check_hits(done.stdout.splitlines())

    @precondition(lambda self: self.daemon_on)
    @rule()
    def stop_the_daemon(self) -> None:
        self.daemon_on = False
        self._stop_daemon()

    def _stop_daemon(self) -> None:
        if self.daemon is not None:
            self.daemon.send_signal(signal.SIGTERM)
            self.daemon.wait(timeout=30)
            if self.daemon.stderr:
                self.daemon.stderr.close()
            self.daemon = None

    @rule()
    def restart_the_server(self) -> None:
        self.client.__exit__(None, None, None)
        self.client = self._start_server()

    def _indexed_id(self, path: str) -> int | None:
        record = self._record(path)
        return None if record is None else record.id

    def _record_count(self) -> int:
        store = open_store(self.index, create=True)
        try:
            return 0 if store.settings() is None else store.stats().images
        finally:
            store.close()

    def _record(self, path: str) -> ImageRecord | None:
        if path not in self.files:
            return None
        store = open_store(self.index, create=True)
        try:
            return store.find_path(self._absolute(path))
        finally:
            store.close()

    def _check_hits(self, paths: list[str]) -> None:
        if self.synced:
            on_disk = {self._absolute(p) for p, f in self.files.items() if f.good}
            assert set(paths) <= on_disk, set(paths) - on_disk

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def the_index_agrees_with_the_folder(self) -> None:
        if not self.synced:
            return
        store = open_store(self.index, create=True)
        try:
            stored = {f.path: f for f in store.files_under([str(self.root.resolve())])}
            failed = {f.path for f in store.failures()}
            good = {self._absolute(p) for p, f in self.files.items() if f.good}
            bad = {self._absolute(p) for p, f in self.files.items() if not f.good}
            assert set(stored) == good, (set(stored) ^ good, failed)
            assert failed == bad, failed ^ bad
            records = {r.path: r for r in store.get([f.id for f in stored.values()])}
            vectors = store.vectors([f.id for f in stored.values()]) if stored else None
            boxed = {records[p].id for p in map(self._absolute, self.annotated)}
            sources = {(r.image_id, r.region.source) for r in store.regions.of(sorted(boxed))}
        finally:
            store.close()
        status = self.http("GET", "/v1/status").json()
        assert status["images"] == len(good), status
        for row, (path, entry) in enumerate(stored.items()):
            assert vectors is not None
            vector = np.asarray(vectors[row], np.float32).tobytes()
            seen = self.vector_of.setdefault(entry.digest, vector)
            assert seen == vector, f"{path}: another vector than the same bytes had before"
        for relative, caption in self.captions.items():
            assert records[self._absolute(relative)].caption == caption, relative
        for relative in self.annotated:
            image_id = records[self._absolute(relative)].id
            assert (image_id, "annotation") in sources, f"{relative} lost its imported boxes"
