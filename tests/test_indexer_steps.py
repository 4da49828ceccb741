"""The index run's steps as plain functions of immutable values."""

from __future__ import annotations

import numpy as np
import pytest

from imgsearch.errors import CorruptImage
from imgsearch.indexer.steps import Candidate, Moves, Read, decide, plan
from imgsearch.media.walk import FileEntry
from imgsearch.store import Failure, ImageFacts, StoredFile

VECTOR = np.ones(4, dtype=np.float32) / 2


def entry(path: str, size: int = 10, mtime: int = 1) -> FileEntry:
    return FileEntry(path, size, mtime)


def row(path: str, id_: int, digest: str = "d", size: int = 10, mtime: int = 1) -> StoredFile:
    return StoredFile(id_, path, size, mtime, digest, True)


def facts(path: str, digest: str) -> ImageFacts:
    return ImageFacts(path=path, size=10, mtime_ns=2, digest=digest)


def test_plan_reads_only_what_changed_and_names_what_vanished() -> None:
    stored = {"/a": row("/a", 1), "/b": row("/b", 2), "/gone": row("/gone", 3)}
    failed = {
        "/bad": Failure("/bad", 10, 1, "CorruptImage", "broken"),
        "/bad-gone": Failure("/bad-gone", 1, 1, "CorruptImage", "broken"),
    }
    disk = [entry("/a"), entry("/b", mtime=5), entry("/bad"), entry("/new")]
    todo = plan(disk, stored, failed, retry_failed=False)
    assert todo.unchanged == ("/a",)
    assert todo.skipped == (("/bad", "broken"),)
    # /new has the size and time /gone had (it may be /gone renamed): it is read first
    assert [c.entry.path for c in todo.candidates] == ["/new", "/b"]
    assert [r.path for r in todo.vanished] == ["/gone"] and todo.resolved == ("/bad-gone",)
    retried = plan(disk, stored, failed, retry_failed=True)
    assert [c.entry.path for c in retried.candidates] == ["/bad", "/new", "/b"]


def test_a_vanished_row_is_claimed_once_by_a_file_with_its_bytes() -> None:
    moves = Moves([row("/old", 7, digest="x"), row("/other", 8, digest="y")])
    assert moves.knows("x") and not moves.knows("z")
    assert moves.claim("x") == row("/old", 7, digest="x")
    assert moves.claim("x") is None  # a second copy is a duplicate, not a move
    assert [r.id for r in moves.unclaimed()] == [8]


def decide_simply(item: Read, **overrides: object) -> object:
    options: dict[str, object] = {
        "fresh": {},
        "owner": False,
        "moves": Moves([]),
        "stored_vector": lambda digest: None,
        "embed_again": lambda e: VECTOR,
    }
    options.update(overrides)
    return decide(item, **options)  # type: ignore[arg-type]


def test_each_kind_of_outcome() -> None:
    new = Candidate(entry("/n"), None)
    changed = Candidate(entry("/c"), row("/c", 4, digest="old"))
    touched = decide_simply(Read(Candidate(entry("/t"), row("/t", 5, "same")), facts("/t", "same")))
    assert touched.kind == "touched" and touched.write.vector is None  # type: ignore[attr-defined]
    added = decide_simply(Read(new, facts("/n", "d")), fresh={"d": VECTOR}, owner=True)
    assert added.kind == "added" and added.write.id is None  # type: ignore[attr-defined]
    updated = decide_simply(Read(changed, facts("/c", "d")), fresh={"d": VECTOR}, owner=True)
    assert updated.kind == "updated" and updated.write.id == 4  # type: ignore[attr-defined]
    moved = decide_simply(Read(new, facts("/n", "x")), moves=Moves([row("/o", 9, digest="x")]))
    assert moved.kind == "moved" and moved.write.id == 9  # type: ignore[attr-defined]
    twin = decide_simply(Read(new, facts("/n", "d")), stored_vector=lambda digest: VECTOR)
    assert twin.kind == "duplicate" and twin.embedded == 0  # type: ignore[attr-defined]
    orphan = decide_simply(Read(new, facts("/n", "d")))  # its twin vanished meanwhile
    assert orphan.kind == "duplicate" and orphan.embedded == 1  # type: ignore[attr-defined]


def test_failures_delete_the_rows_of_files_gone_bad() -> None:
    failure = Failure("/c", 10, 2, "CorruptImage", "broken")
    went_bad = decide_simply(Read(Candidate(entry("/c"), row("/c", 4)), failure=failure))
    assert (went_bad.kind, went_bad.delete, went_bad.write) == ("failed", 4, None)  # type: ignore[attr-defined]

    def broken(e: FileEntry) -> object:
        raise CorruptImage("damaged", source=e.path)

    orphan = decide_simply(Read(Candidate(entry("/n"), None), facts("/n", "d")), embed_again=broken)
    assert orphan.kind == "failed" and orphan.failure.code == "CorruptImage"  # type: ignore[attr-defined]


@pytest.mark.parametrize("retry", [False, True])
def test_plan_is_a_pure_function(retry: bool) -> None:
    stored = {"/a": row("/a", 1)}
    assert plan([entry("/a")], stored, {}, retry_failed=retry) == plan(
        [entry("/a")], stored, {}, retry_failed=retry
    )
