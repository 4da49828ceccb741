"""Rival descriptions: an object another text of the model's vocabulary describes better
than the query is not the query's object — absent colours, shapes and combinations come
back empty on an index with object boxes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.query.expression import Query, QueryPart


@pytest.fixture(scope="module")
def boxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, Index]]:
    folder = tmp_path_factory.mktemp("rivals")
    collection = generate_collection(
        folder / "photos", 300, seed=37, leave_out=["red circle", "purple", "star"]
    )
    index = Index.open(folder / "index", model="demo-shapes")
    index.update([collection.root])
    assert index.import_annotations(collection.root / ANNOTATIONS, [collection.root]).problems == []
    yield collection, index
    index.close()


def _confident(index: Index, text: str, *, objects: bool = False) -> list[str]:
    query = Query((QueryPart(text=text),), top=300, min_confidence="auto", objects=objects)
    return [hit.image.path for hit in index.search(query)]


def test_what_the_collection_lacks_comes_back_empty(boxed: tuple[Collection, Index]) -> None:
    _, index = boxed
    for absent in ("red circle", "purple", "star", "purple square", "blue star"):
        assert _confident(index, absent) == [], absent
    assert _confident(index, "red circle", objects=True) == []
    rivals = index.rival_vectors(Query((QueryPart(text="red circle"),)))
    assert rivals is not None and len(rivals) == 5 + 5  # other colours, other shapes


def test_what_it_holds_is_still_found(boxed: tuple[Collection, Index]) -> None:
    collection, index = boxed
    labels = collection.by_path()
    for present in ("blue circle", "green square", "red"):
        found = _confident(index, present)
        relevant = [image for image in collection.images if image.contains(present)]
        assert found and all(labels[path].contains(present) for path in found), present
        assert len(found) >= 0.9 * len(relevant), present


def test_the_server_judges_with_the_same_rivals(boxed: tuple[Collection, Index]) -> None:
    from fastapi.testclient import TestClient

    from imgsearch.server import ServerSettings, create_app

    collection, index = boxed
    settings = ServerSettings(index=index.store.location, roots=[collection.root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        for text, empty in (("red circle", True), ("star", True), ("blue circle", False)):
            body = {"text": text, "top": 50, "min_confidence": "auto"}
            answer = client.post("/v1/search", json=body)
            assert answer.status_code == 200, answer.text
            paths = [hit["path"] for hit in answer.json()["hits"]]
            assert (paths == []) is empty and paths == _confident(index, text)[:50], text
