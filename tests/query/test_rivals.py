"""Rival descriptions: an object another text of the model's vocabulary describes better
than the query is not the query's object, and a collection where nothing is described by
the query better than by its rivals does not hold what it names (its lead, weighed by the
presence) — absent colours, shapes and combinations come back empty, on an index with
object boxes and on whole pictures alike."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.query.expression import Query, QueryPart

LEFT_OUT = ["red circle", "purple", "star"]


@pytest.fixture(scope="module")
def boxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, Index]]:
    folder = tmp_path_factory.mktemp("rivals")
    collection = generate_collection(folder / "photos", 300, seed=37, leave_out=LEFT_OUT)
    index = Index.open(folder / "index", model="demo-shapes")
    index.update([collection.root])
    assert index.import_annotations(collection.root / ANNOTATIONS, [collection.root]).problems == []
    yield collection, index
    index.close()


@pytest.fixture(scope="module")
def whole(
    boxed: tuple[Collection, Index], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Index]:
    """The same pictures indexed as a folder: whole-picture vectors only, no boxes."""
    collection, _ = boxed
    index = Index.open(tmp_path_factory.mktemp("whole") / "index", model="demo-shapes")
    index.update([collection.root])
    yield index
    index.close()


def _confident(index: Index, text: str, *, objects: bool = False) -> list[str]:
    query = Query((QueryPart(text=text),), top=300, min_confidence="auto", objects=objects)
    return [hit.image.path for hit in index.search(query)]


def test_what_the_collection_lacks_comes_back_empty(boxed: tuple[Collection, Index]) -> None:
    _, index = boxed
    for absent in ("red circle", "purple", "star", "purple square", "blue star"):
        assert _confident(index, absent) == [], absent
    assert _confident(index, "red circle", objects=True) == []
    rivals = index.rivals(Query((QueryPart(text="red circle"),)))
    assert rivals is not None and len(rivals) == 5 + 5  # other colours, other shapes


def test_what_it_holds_is_still_found(boxed: tuple[Collection, Index]) -> None:
    collection, index = boxed
    labels = collection.by_path()
    for present in ("blue circle", "green square", "red"):
        found = _confident(index, present)
        relevant = [image for image in collection.images if image.contains(present)]
        assert found and all(labels[path].contains(present) for path in found), present
        assert len(found) >= 0.9 * len(relevant), present


def test_whole_pictures_without_boxes_lack_what_the_collection_lacks(
    boxed: tuple[Collection, Index], whole: Index
) -> None:
    collection, _ = boxed
    # the demo model takes crosses for stars in whole pictures: only the lead tells
    for absent in ("purple", "star", "red circle", "purple square", "blue star"):
        assert _confident(whole, absent) == [], absent
    labels = collection.by_path()
    precision = []
    for present in ("blue circle", "green square", "cross", "red"):
        found = _confident(whole, present)
        relevant = [image for image in collection.images if image.contains(present)]
        right = [path for path in found if labels[path].contains(present)]
        assert len(right) >= 0.8 * len(relevant), present
        precision.append(len(right) / len(found))
    # whole pictures mix their objects' colours and shapes: a green circle beside a red
    # square looks like "green square" (docs/relevance.md), so precision is lower there
    assert np.mean(precision) >= 0.75, precision


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


ABSENT_NOTE = r"nothing here is described by “{}” better than by “[a-z ]+”: what it names seems not"


def test_every_edge_says_why_an_absent_concept_came_back_empty(
    boxed: tuple[Collection, Index], whole: Index
) -> None:
    """The CLI (table and --json) and the server say which rival the nearest picture is
    better described by; a present concept gets no such note."""
    from fastapi.testclient import TestClient

    from imgsearch.server import ServerSettings, create_app
    from tests.cli.test_cli import imgsearch

    collection, _ = boxed
    where = str(whole.store.location)
    table = imgsearch("search", "--index", where, "star", "--min-confidence", "auto")
    assert table.returncode == 0 and "no matching images" in table.stdout
    assert re.search("note: " + ABSENT_NOTE.format("star"), table.stdout), table.stdout
    as_json = imgsearch("search", "--index", where, "star", "--json", "--min-confidence", "auto")
    assert as_json.stdout == "" and re.search(ABSENT_NOTE.format("star"), as_json.stderr)
    present = imgsearch("search", "--index", where, "cross", "--min-confidence", "auto")
    assert "seems not to be" not in present.stdout + present.stderr
    settings = ServerSettings(index=whole.store.location, roots=[collection.root])
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        body = {"text": "purple", "min_confidence": "auto"}
        answer = client.post("/v1/search", json=body).json()
        assert answer["hits"] == []
        assert re.fullmatch(ABSENT_NOTE.format("purple") + ".*", answer["confidence"]["note"])
        body = {"text": "cross", "min_confidence": "auto"}
        assert client.post("/v1/search", json=body).json()["confidence"]["note"] is None
