"""Which store a location opens: backends register by URL scheme; a folder is embedded."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgsearch.errors import InvalidSettings
from imgsearch.store import SqliteStore, Store, open_store, register_store


def test_a_folder_opens_the_embedded_store_with_its_thumbnails_beside_it(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "index"))
    try:
        assert isinstance(store, SqliteStore)
        assert store.thumbnail_folder(tmp_path / "data") == tmp_path / "index" / "thumbnails"
    finally:
        store.close()


def test_a_new_backend_is_one_registration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import imgsearch.store

    monkeypatch.setattr(imgsearch.store, "_backends", dict(imgsearch.store._backends))
    opened: list[tuple[str, bool, int]] = []

    def opener(location: str, *, create: bool, pool_size: int) -> Store:
        opened.append((location, create, pool_size))
        return SqliteStore(tmp_path / "stand-in")

    register_store(["memory", "MEM"], opener)
    store = open_store("MEM://collection?x=1", create=False, pool_size=3)
    store.close()
    assert opened == [("MEM://collection?x=1", False, 3)]
    with pytest.raises(InvalidSettings, match="no store opens ftp:// locations"):
        open_store("ftp://host/index")


def test_a_database_keeps_its_thumbnails_under_the_data_folder(
    postgres_url: str, tmp_path: Path
) -> None:
    """One folder per collection, named from the URL without its password."""

    def collection(name: str) -> Store:
        return open_store(f"{postgres_url}{'&' if '?' in postgres_url else '?'}collection={name}")

    first, second = collection("thumbs-a"), collection("thumbs-b")
    try:
        one, two = (s.thumbnail_folder(tmp_path) for s in (first, second))
        assert one.parent == two.parent == tmp_path / "thumbnails" and one != two
        assert "thumbs-a" in one.name
    finally:
        first.close()
        second.close()
