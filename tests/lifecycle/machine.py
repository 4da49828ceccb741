"""The index lifecycle as a state machine (Hypothesis): what users do to a folder and an index,
in any order, with invariants checked after every step.

Rules change the folder (add, copy, change, move, delete, corrupt pictures), bring the index
in step (``imgsearch index`` on the command line, ``POST /v1/index`` on the server, a run
killed with SIGKILL), search (HTTP, the CLI), caption pictures (HTTP) and restart the
server. A reference model of the folder says what the index must hold; after every step:

- no answer of the server is a 5xx and no command printed a traceback;
- after a completed run with the folder unchanged since, every file on disk is either
  indexed or reported as a failure (never both, never neither), the counts agree, and no
  hit points to a file that is not on disk;
- a picture's vector is the same however it got there (first indexed, moved, copied, by the
  CLI or the server) — the vector of the same bytes seen before;
- captions survive moves and re-indexing for as long as their picture exists.

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
from imgsearch.store import open_store
from tests.cli.test_cli import imgsearch
from tests.conftest import photo

WORDS = ("red", "beach", "photo", "img", "a", "dusk")
FOLDERS = ("", "a", "a/b")
CLI_ENV = {"HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes"}


@dataclass
class File:
    """A file of the folder as the reference model sees it."""

    good: bool
    digest: str


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

    def _write(self, relative: str, content: bytes, good: bool) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.clock += 10**9  # a second later than any mtime before: a change is always seen
        os.utime(path, ns=(self.clock, self.clock))
        self.files[relative] = File(good, hashlib.sha256(content).hexdigest())
        self.clean.discard(relative)
        self.synced = False

    def _fresh_name(self, folder: str, fmt: str) -> str:
        self.serial += 1
        return f"{folder}/img{self.serial}.{fmt}".lstrip("/")

    def _absolute(self, relative: str) -> str:
        return str((self.root / relative).resolve())

    # -- the folder -----------------------------------------------------------------------

    @rule(
        action=st.sampled_from(["add", "copy", "change", "move", "delete", "corrupt"]),
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
        if action == "add":
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
        self._write(name, (self.root / path).read_bytes(), good=self.files[path].good)

    def _change(self, path: str, seed: int, folder: str) -> None:
        self._write(path, picture_bytes(seed, path.rsplit(".", 1)[-1]), good=True)

    def _move(self, path: str, seed: int, folder: str) -> None:
        name = self._fresh_name(folder, path.rsplit(".", 1)[-1])
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / path).rename(self.root / name)
        self.files[name] = self.files.pop(path)
        caption = self.captions.pop(path, None)
        if path in self.clean:  # moved unchanged: the index will know it for the same picture
            self.clean.discard(path)
            self.clean.add(name)
            if caption is not None:
                self.captions[name] = caption
        self.synced = False

    def _delete(self, path: str, seed: int, folder: str) -> None:
        (self.root / path).unlink()
        del self.files[path]
        self.captions.pop(path, None)
        self.clean.discard(path)
        self.synced = False

    def _pick(self, pick: int) -> str | None:
        names = sorted(self.files)
        return names[pick % len(names)] if names else None

    # -- indexing -------------------------------------------------------------------------

    @rule(how=st.sampled_from(["cli", "server"]))
    def bring_the_index_in_step(self, how: str) -> None:
        if how == "cli":
            result = self.cli("index", str(self.root), "--model", "fake-hash", "--quiet")
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
            elif how == "cli image" and path is not None and self.files[path].good:
                query = ["--image", str(self.root / path)]
            result = self.cli("search", *query, "--paths", "--top", str(top))
            assert result.returncode in (0, 4), result.stderr  # 4: nothing indexed yet
            self._check_hits(result.stdout.splitlines())
            return
        part: dict[str, Any] = {"text": word}
        image_id = self._indexed_id(path) if path is not None else None
        if how in ("like", "box") and image_id is not None:
            part = {"image_id": image_id}
            if how == "box":
                part["box"] = {"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, "unit": "fraction"}
        elif how == "upload" and path is not None:
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

    @rule()
    def restart_the_server(self) -> None:
        self.client.__exit__(None, None, None)
        self.client = self._start_server()

    def _indexed_id(self, path: str) -> int | None:
        if path not in self.files:
            return None
        store = open_store(self.index, create=True)
        try:
            record = store.find_path(self._absolute(path))
        finally:
            store.close()
        return None if record is None else record.id

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
