"""Zero-shot tags on a held-out demo collection: a tag's confidence is the one a search for
its phrase gives the picture; with object boxes the tags are the objects' colours, shapes
and combinations (precision and recall near 1); tags filter, count and follow changes of
the vocabulary and of the files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, Collection, generate_collection
from imgsearch.demo.shapes import COLOURS, SHAPES
from imgsearch.errors import InvalidQuery, TextNotSupported
from imgsearch.store import Filters
from imgsearch.tags import TagVocabulary
from tests.cli.test_cli import imgsearch

TAGS = {*COLOURS, *SHAPES, *(f"{c} {s}" for c in COLOURS for s in SHAPES)}


@pytest.fixture(scope="module")
def boxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, Index]]:
    folder = tmp_path_factory.mktemp("tags")
    collection = generate_collection(folder / "photos", 300, seed=101)
    index = Index.open(folder / "index", model="demo-shapes")
    index.update([collection.root])
    assert index.import_annotations(collection.root / ANNOTATIONS, [collection.root]).problems == []
    index.tag(again=True)  # the boxes are evidence now
    yield collection, index
    index.close()


def gold(collection: Collection) -> dict[str, set[str]]:
    """Each picture's true tags: its objects' colours, shapes and combinations."""
    return {str(image.path): image.phrases for image in collection.images}


def test_the_default_vocabulary_is_the_models_own_words(boxed: tuple[Collection, Index]) -> None:
    _, index = boxed
    vocabulary = index.tag_vocabulary()
    assert len(vocabulary.tags) == 6 + 6 + 36 and "red star" in vocabulary.tags
    assert vocabulary.template == "{}" and vocabulary.threshold == 0.5
    assert index.store.auto_tags.progress() == (300, 300)


def test_a_tags_confidence_is_what_a_search_for_it_says(boxed: tuple[Collection, Index]) -> None:
    _, index = boxed
    for phrase in ("red star", "blue", "hexagon"):
        hits = index.search(phrase, top=40)
        tags = index.auto_tags([hit.id for hit in hits])
        for hit in hits:
            given = tags[hit.id].get(phrase)
            if hit.confidence is not None and hit.confidence >= 0.5:
                assert given == pytest.approx(hit.confidence, abs=1e-4), (phrase, hit.id)
            else:
                assert given is None, (phrase, hit.id)


def test_with_boxes_the_tags_are_the_objects(boxed: tuple[Collection, Index]) -> None:
    collection, index = boxed
    truth = gold(collection)
    ids = {index.find(path).id: path for path in truth}
    found = index.auto_tags(list(ids))
    right = wrong = missed = 0
    for image_id, path in ids.items():
        got = set(found[image_id])
        right += len(got & truth[path])
        wrong += len(got - truth[path])
        missed += len(truth[path] - got)
    precision, recall = right / (right + wrong), right / (right + missed)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)  # measured 0.995, 0.997


def test_tags_filter_and_count(boxed: tuple[Collection, Index]) -> None:
    collection, index = boxed
    truth = gold(collection)
    tagged = {r.path for r in index.browse(filters=Filters(tags=("red star",)), limit=1000).items}
    stars = {path for path, tags in truth.items() if "red star" in tags}
    assert len(tagged & stars) >= 0.95 * len(stars) and len(tagged - stars) <= 2
    without = index.browse(filters=Filters(not_tags=("red",)), limit=1000)
    assert without.total == 300 - index.browse(filters=Filters(tags=("red",))).total
    assert not any("red" in index.auto_tags([r.id])[r.id] for r in without.items)
    counts = dict(index.facets().auto_tags)
    assert counts["red star"] == len(tagged)
    # a user's own tag is kept apart and filters alike
    first = index.find(sorted(truth)[0])
    index.annotate(first.id, caption=None, tags=["keeper"])
    assert [r.id for r in index.browse(filters=Filters(tags=("keeper",))).items] == [first.id]
    assert "keeper" not in index.auto_tags([first.id])[first.id]
    assert dict(index.facets().tags) == {"keeper": 1}
    index.annotate(first.id, caption=None, tags=[])


def test_a_new_vocabulary_retags_without_reembedding(
    boxed: tuple[Collection, Index], tmp_path_factory: pytest.TempPathFactory
) -> None:
    collection, _ = boxed
    folder = tmp_path_factory.mktemp("vocabulary")
    shutil.copytree(collection.root, folder / "photos")
    with Index.open(folder / "index", model="demo-shapes") as index:
        index.update([folder / "photos"])
        forgotten = index.set_tag_vocabulary(index.tag_vocabulary().with_tags(["star", "circle"]))
        assert forgotten == 300 and index.store.auto_tags.progress() == (0, 300)
        report = index.tag()
        assert report.tagged == 300
        given = {t for tags in index.auto_tags(range(1, 400)).values() for t in tags}
        assert given <= {"star", "circle"} and given
        # the same vocabulary again changes nothing
        assert index.set_tag_vocabulary(index.tag_vocabulary()) == 0
        # a changed file is tagged again by the run that sees it
        first = collection.images[0].path.relative_to(collection.root)
        changed = folder / "photos" / first
        shutil.copy(
            folder / "photos" / collection.images[1].path.relative_to(collection.root), changed
        )
        index.update([folder / "photos"])
        assert index.store.auto_tags.progress() == (300, 300)
        # the model's default again, then tagging off: new pictures stay untagged
        index.set_tag_vocabulary(None)
        assert index.tag_vocabulary().tags != ("star", "circle")
        assert index.store.auto_tags.progress() == (0, 300)
        index.tag()
        index.set_tag_vocabulary(replace(index.tag_vocabulary(), enabled=False))
        assert index.store.auto_tags.progress() == (0, 300)  # a change forgets them
        shutil.copy(changed, folder / "photos" / "new.jpg")
        index.update([folder / "photos"])
        assert index.store.auto_tags.progress() == (0, 301)
        assert index.tag().tagged == 0  # off: asked or not
        with pytest.raises(InvalidQuery):
            TagVocabulary(("x",), template="no placeholder")
        with pytest.raises(InvalidQuery):
            TagVocabulary(("x" * 101,))


def test_the_cli_tags_lists_and_filters(boxed: tuple[Collection, Index], tmp_path: Path) -> None:
    collection, _ = boxed
    shutil.copytree(collection.root, tmp_path / "photos")
    index = str(tmp_path / "index")
    made = imgsearch("index", str(tmp_path / "photos"), "--index", index, "-m", "demo-shapes")
    assert made.returncode == 0, made.stderr
    listed = imgsearch("tags", "list", "--index", index, "--json")
    assert listed.returncode == 0, listed.stderr
    counts = json.loads(listed.stdout)
    assert counts["total"] == 300 and counts["own"] == []
    automatic = {entry["tag"]: entry["count"] for entry in counts["automatic"]}
    assert automatic["red"] > 20 and set(automatic) <= set(TAGS)
    shown = imgsearch("tags", "vocabulary", "show", "--index", index)
    assert "48 phrases (the model's own words)" in shown.stdout, shown.stderr
    added = imgsearch("tags", "vocabulary", "add", "striped background", "--index", index)
    assert "300 pictures lose their automatic tags" in added.stdout, added.stderr
    ran = imgsearch("tags", "run", "--index", index)
    assert ran.returncode == 0 and "300 of 300 pictures tagged" in ran.stdout, ran.stderr
    paths = imgsearch(
        "browse", "--index", index, "--tag", "red star", "--not-tag", "blue", "--paths", "-n", "500"
    )
    assert paths.returncode == 0, paths.stderr
    found = set(paths.stdout.split())
    truth = gold(collection)
    for path in found:
        tags = truth[str(collection.root / Path(path).relative_to(tmp_path / "photos"))]
        assert "blue" not in tags
    assert len(found) >= 5
    wrong = imgsearch("tags", "vocabulary", "set", "--template", "no slot", "--index", index)
    assert wrong.returncode != 0 and "exactly one {}" in wrong.stderr


def test_classify_judges_a_picture_as_its_tags_would(
    boxed: tuple[Collection, Index], tmp_path: Path
) -> None:
    collection, _ = boxed
    shutil.copytree(collection.root, tmp_path / "photos")
    index = str(tmp_path / "index")
    made = imgsearch("index", str(tmp_path / "photos"), "--index", index, "-m", "demo-shapes")
    assert made.returncode == 0, made.stderr
    picture = collection.images[3]
    copy = tmp_path / "photos" / picture.path.relative_to(collection.root)
    judged = imgsearch("classify", str(copy), "--index", index, "--json")
    assert judged.returncode == 0, judged.stderr
    tags = {t["name"]: t["confidence"] for t in json.loads(judged.stdout)["tags"]}
    for thing in picture.objects:
        assert {thing.colour, thing.shape} <= set(tags)
    with Index.open(tmp_path / "index") as opened:  # the picture is indexed: the same tags
        record = opened.find(copy)
        assert tags == pytest.approx(opened.auto_tags([record.id])[record.id], abs=1e-4)
    asked = imgsearch(
        "classify", str(copy), "--index", index, "--json", "--all", "-l", "red star", "-l", "blue"
    )
    assert [t["name"] for t in json.loads(asked.stdout)["tags"]] in (
        ["red star", "blue"], ["blue", "red star"],
    )  # fmt: skip
    table = imgsearch("classify", str(copy), "--index", index)
    assert table.returncode == 0 and picture.objects[0].shape in table.stdout


def test_tags_are_measured_against_the_users_own_labels(
    boxed: tuple[Collection, Index], tmp_path: Path
) -> None:
    collection, index = boxed
    # the collection's own COCO file: each picture's tags are its boxes' labels
    measured = index.evaluate_tags(collection.root / ANNOTATIONS, [str(collection.root)])
    assert measured.pictures == 300 and set(measured.phrases) <= TAGS
    assert all(" " in phrase for phrase in measured.phrases)  # only the labels' phrases
    assert measured.precision >= 0.95 and measured.recall >= 0.95
    assert measured.mean_average_precision >= 0.95
    # JSON lines, naming pictures by path (relative to the file) and by id
    first, second = collection.images[:2]
    lines = tmp_path / "labels.jsonl"
    lines.write_text(
        json.dumps(
            {"image": str(first.path), "tags": [f"{o.colour} {o.shape}" for o in first.objects]}
        )
        + "\n"
        + json.dumps({"image": index.find(second.path).id, "tags": ["red star"]})
        + "\n"
    )
    few = index.evaluate_tags(lines)
    assert few.pictures == 2 and "red star" in few.phrases
    shown = imgsearch(
        "tags", "evaluate", str(collection.root / ANNOTATIONS), "--root", str(collection.root),
        "--index", index.location, "--json",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["precision"] == pytest.approx(measured.precision)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"tags": ["x"]}\n')
    refused = imgsearch("tags", "evaluate", str(bad), "--index", index.location)
    assert refused.returncode != 0 and "needs an image" in refused.stderr


def test_an_image_only_model_tags_nothing_and_says_why(
    boxed: tuple[Collection, Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index = boxed
    monkeypatch.setattr(type(index.encoder), "supports_text", property(lambda self: False))
    report = index.tag(again=False)
    assert not report.text and report.tagged == 0
    with pytest.raises(TextNotSupported, match="embeds images only"):
        index.classify(index.vectors([1]))


def test_the_phrases_vectors_are_kept_for_the_next_run(
    boxed: tuple[Collection, Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index = boxed
    kept = index.store.documents.get("tag_vectors")
    assert kept["model_id"] == "demo-shapes" and len(kept["prompts"]) == 48
    with Index.open(index.location) as again:  # another process: asks the text tower nothing

        def refuse(texts: object) -> object:
            raise AssertionError(f"asked the text tower for {texts!r}")

        monkeypatch.setattr(again.encoder, "embed_texts", refuse)
        report = again.tag(again=True)
        assert report.tagged == 300
