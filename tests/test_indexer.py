"""Indexing: exactly the right files are (re-)embedded, bad files are reported, nothing is lost."""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch import Index, ModelSettings
from imgsearch.errors import InputError, ModelMismatch
from imgsearch.indexer import IndexEvent
from tests.cli.test_cli import imgsearch
from tests.conftest import photo


def make_photos(folder: Path, count: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"img_{i:03}.{'jpg' if i % 2 else 'png'}"
        photo(96 + i % 7, 80, seed=i).save(path)
        paths.append(path)
    return paths


class Events:
    def __init__(self) -> None:
        self.by_kind: dict[str, set[str]] = defaultdict(set)

    def __call__(self, event: IndexEvent) -> None:
        self.by_kind[event.kind].add(Path(event.path).name)


def run(index: Index, root: Path, **options: object) -> tuple[Events, object]:
    events = Events()
    report = index.update([root], on_event=events, **options)  # type: ignore[arg-type]
    return events, report


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Index]:
    opened = Index.open(tmp_path / "index", model="fake-hash")
    yield opened
    opened.close()


def test_second_run_embeds_exactly_what_changed(index: Index, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    paths = make_photos(root, 8)
    events, report = run(index, root)
    assert len(events.by_kind["added"]) == 8 and report.embedded == 8  # type: ignore[attr-defined]
    ids_before = {r.path: r.id for r in index.store.get(range(1, 100))}

    photo(100, 90, seed=99).save(paths[0])  # modified content
    os.utime(paths[1], ns=(1, 2_000_000_000_000_000_000))  # touched only
    paths[2].unlink()  # deleted
    (root / "sub").mkdir()
    paths[3].rename(
        root / "sub" / "moved.png" if paths[3].suffix == ".png" else root / "sub" / "moved.jpg"
    )
    shutil.copy(paths[4], root / "copy_of_4")  # not an image extension: ignored
    shutil.copy(paths[5], root / "twin.jpg")  # duplicate of an indexed file
    make_photos(root, 1, start=50)  # brand new

    events, report = run(index, root)
    assert events.by_kind["updated"] == {paths[0].name}
    assert events.by_kind["touched"] == {paths[1].name}
    assert events.by_kind["removed"] == {paths[2].name}
    assert len(events.by_kind["moved"]) == 1
    assert events.by_kind["duplicate"] == {"twin.jpg"}
    assert events.by_kind["added"] == {"img_050.png"}
    assert report.embedded == 2  # type: ignore[attr-defined]
    moved = next(r for r in index.store.get(range(1, 100)) if "/sub/" in r.path)
    assert moved.id == ids_before[str(paths[3])]
    twin = index.find(root / "twin.jpg")
    np.testing.assert_array_equal(
        index.store.vectors([twin.id]), index.store.vectors([index.find(paths[5]).id])
    )
    events, report = run(index, root)
    assert report.embedded == 0 and set(events.by_kind) == {"unchanged"}  # type: ignore[attr-defined]


def test_bad_files_are_reported_with_reasons_and_the_rest_indexed(
    index: Index, tmp_path: Path
) -> None:
    root = tmp_path / "mixed"
    make_photos(root, 3)
    good = root / "img_000.png"
    (root / "empty.jpg").write_bytes(b"")
    (root / "text.jpg").write_text("not an image at all")
    data = (root / "img_001.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(data[: len(data) // 2])
    shutil.copy(good, root / "png_named.jpg")  # wrong extension, valid image
    Image.new("I;16", (64, 48), 3000).save(root / "sixteen_bit.png")
    Image.new("P", (64, 48), 3).save(root / "palette.gif")
    Image.new("CMYK", (64, 48), (10, 200, 30, 0)).save(root / "cmyk.jpg")
    Image.new("LA", (64, 48)).save(root / "grey_alpha.png")
    huge = root / "huge.png"
    Image.new("1", (20_000, 20_000)).save(huge)
    locked = root / "locked.jpg"
    shutil.copy(root / "img_001.jpg", locked)
    locked.chmod(0)
    (root / ".hidden.jpg").write_bytes(data)

    events, report = run(index, root)  # the default pixel cap (89.5 MP) refuses huge.png
    failed = {Path(f.path).name: f for f in report.failures}  # type: ignore[attr-defined]
    expected_bad = {"empty.jpg", "text.jpg", "truncated.jpg", "huge.png"}
    if os.geteuid() != 0:  # root reads everything
        expected_bad.add("locked.jpg")
    assert set(failed) == expected_bad
    assert failed["text.jpg"].code == "UnsupportedImage"
    assert failed["truncated.jpg"].code == "CorruptImage"
    assert failed["huge.png"].code == "PixelLimitExceeded"
    good_names = {
        "img_000.png",
        "img_001.jpg",
        "img_002.png",
        "png_named.jpg",
        "sixteen_bit.png",
        "palette.gif",
        "cmyk.jpg",
        "grey_alpha.png",
    }
    indexed = {Path(f.path).name for f in index.store.files_under([str(root)])}
    assert good_names <= indexed and not indexed & expected_bad and ".hidden.jpg" not in indexed
    assert {Path(f.path).name for f in index.failures()} == expected_bad

    # unchanged bad files are not retried; fixed ones are indexed and forgotten as failures
    photo(90, 90, seed=77).save(root / "text.jpg", format="JPEG")
    events, _ = run(index, root)
    assert "text.jpg" in events.by_kind["added"]
    assert events.by_kind["skipped"] == expected_bad - {"text.jpg"}
    assert "text.jpg" not in {Path(f.path).name for f in index.failures()}


def test_roots_must_be_folders(index: Index, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        index.update([tmp_path / "nope"])


def test_exclude_globs_and_symlink_loops(index: Index, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_photos(root / "keep", 2)
    make_photos(root / "raw", 2)
    (root / "keep" / "loop").symlink_to(root)
    run(index, root, exclude=["raw"])
    paths = [f.path for f in index.store.files_under([str(root)])]
    assert len(paths) == 2 and all("/keep/" in p for p in paths)


def test_another_model_is_refused_and_reembed_switches(index: Index, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_photos(root, 2)
    index.update([root])
    other = Index(index.store, model="fake-hash-b")
    with pytest.raises(ModelMismatch) as caught:
        other.update([root])
    assert (caught.value.indexed, caught.value.requested) == ("fake-hash", "fake-hash-b")
    report = other.update([root], reembed=True)
    assert report.embedded == 2
    settings = index.store.settings()
    assert settings is not None and settings.model_id == other.encoder.model_id


def test_search_during_an_update_sees_committed_batches(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_photos(root, 40)
    writer = Index.open(tmp_path / "index", model=ModelSettings(name="fake-hash", batch_size=8))
    reader = Index.open(tmp_path / "index", model="fake-hash")
    seen: list[int] = []

    def search_midway(event: IndexEvent) -> None:
        if event.done in (10, 30):
            seen.append(len(reader.search("a photo", top=100)))

    writer.update([root], on_event=search_midway)
    assert seen[0] >= 8 and seen[0] < seen[1] < 40
    assert len(reader.search("a photo", top=100)) == 40
    writer.close()
    reader.close()


def test_a_file_moved_and_copied_at_once_keeps_its_caption_where_it_moved(
    index: Index, tmp_path: Path
) -> None:
    """Found by the lifecycle state machine: both new files hold the vanished file's bytes,
    and the first in path order (the copy) took its row, caption and all. The moved one
    kept its size and modification time; the copy did not."""
    root = tmp_path / "photos"
    root.mkdir()
    original = root / "m.png"
    photo(64, 48, seed=3).save(original)
    index.update([root])
    index.annotate(original, caption="lighthouse at dusk")
    first_id = index.find(original).id
    copy = root / "a.png"  # sorts before the moved file
    shutil.copyfile(original, copy)  # a new modification time, as cp gives
    moved = root / "z.png"
    original.rename(moved)
    report = index.update([root])
    assert report.counts["moved"] == 1 and report.counts["duplicate"] == 1
    assert index.find(moved).id == first_id and index.find(moved).caption == "lighthouse at dusk"
    assert index.find(copy).caption is None


def test_an_interrupted_run_is_recorded_with_what_it_committed(
    index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``imgsearch status`` after a run was stopped says what it had done, not "added 0"."""
    monkeypatch.setattr("imgsearch.indexer.run.RECORD_EVERY_S", 0.0)
    make_photos(tmp_path / "photos", 40)
    seen: list[IndexEvent] = []

    def stop_after_some(event: IndexEvent) -> None:
        seen.append(event)
        if len(seen) == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.update([tmp_path / "photos"], on_event=stop_after_some)
    run = index.status().last_run
    assert run is not None and not run.completed
    committed = index.status().images
    assert 0 < run.added <= committed < 40  # at most the batch it was stopped in is missing
    report = index.update([tmp_path / "photos"])  # and the next run completes it
    assert report.counts["added"] == 40 - committed
    again = index.status().last_run
    assert again is not None and again.completed and again.added == 40 - committed


def test_a_run_still_writing_is_told_from_one_that_was_stopped(
    index: Index, tmp_path: Path
) -> None:
    make_photos(tmp_path / "photos", 4)

    def stop(event: IndexEvent) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.update([tmp_path / "photos"], on_event=stop)
    stopped = index.overview()
    assert not stopped.running and stopped.as_dict()["last_run"]["running"] is False
    with Index.open(tmp_path / "index") as other, other.store.run_lock("all"):  # a run writes
        overview = index.overview()
        assert overview.running and overview.as_dict()["last_run"]["running"] is True
        shown = imgsearch("status", "--index", str(tmp_path / "index"))
        assert "running now" in shown.stdout and "interrupted" not in shown.stdout
    assert "interrupted" in imgsearch("status", "--index", str(tmp_path / "index")).stdout
