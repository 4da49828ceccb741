"""The shipped demo-shapes model: intact, offline, and good at what it was trained for.

Quality is judged by the labels of a freshly generated collection (a seed the
model never saw), searched through the CLI and the Python API exactly as a
user would.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from imgsearch import Box, Index, QueryPart
from imgsearch.demo.captions import training_vocabulary
from imgsearch.demo.collection import Collection, LabeledImage, generate_collection, iter_names
from imgsearch.models.catalog import bundled_folder, get_spec
from imgsearch.models.layout import detect_layout, verify_checksums
from tests.cli.test_cli import imgsearch
from tests.conftest import photo

pytestmark = pytest.mark.slow  # the shipped model's quality, and the whole demo

SEED = 424242  # not a training seed, not the held-out evaluation seed


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return generate_collection(tmp_path_factory.mktemp("shapes"), 700, seed=SEED)


@pytest.fixture(scope="module")
def index_path(collection: Collection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collection, indexed through the CLI with the shipped model, offline."""
    path = tmp_path_factory.mktemp("index") / "index"
    result = imgsearch(
        "index", str(collection.root), "--index", str(path), "--model", "demo-shapes", "--json",
        env={"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["added"] == len(collection.images)
    return path


def _labels(collection: Collection, paths: list[str]) -> list[LabeledImage]:
    by_path = collection.by_path()
    return [by_path[p] for p in paths]


def _cli_hits(index_path: Path, *args: str) -> list[str]:
    result = imgsearch("search", *args, "--index", str(index_path), "--top", "10", "--paths")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_shipped_files_match_their_manifest_and_load_offline() -> None:
    spec = get_spec("demo-shapes")
    folder = bundled_folder(spec.bundled or "")
    files = detect_layout(folder)
    verify_checksums(files)
    assert sum(p.stat().st_size for p in folder.iterdir()) < 10 * 2**20
    result = imgsearch("models", "verify", "demo-shapes", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr
    assert "match their checksums" in result.stdout
    evaluation = files.manifest["evaluation"]
    assert evaluation["text_precision"] >= 0.9 and evaluation["region_precision"] >= 0.8
    # the words it lists are exactly those of the texts it was trained on
    assert files.manifest["vocabulary"] == training_vocabulary().as_dict()


def test_text_precision_at_10_over_every_colour_and_shape(
    collection: Collection, index_path: Path
) -> None:
    names = [
        name
        for name in iter_names(collection)
        if sum(i.contains(name) for i in collection.images) >= 10
    ]
    assert len(names) == 36
    precision = []
    with Index.open(index_path) as index:
        for name in names:
            hits = _labels(collection, [h.image.path for h in index.search(name, top=10)])
            precision.append(sum(image.contains(name) for image in hits) / 10)
    assert sum(precision) / len(precision) >= 0.85, dict(zip(names, precision, strict=True))


def test_red_circle_top_10_all_contain_a_red_circle(
    collection: Collection, index_path: Path
) -> None:
    hits = _labels(collection, _cli_hits(index_path, "red circle"))
    assert all(image.contains("red circle") for image in hits), [h.caption for h in hits]


def test_not_square_ranks_squares_lower(collection: Collection, index_path: Path) -> None:
    def squares_in_top(*args: str) -> int:
        result = imgsearch("search", *args, "--index", str(index_path), "--top", "40", "--paths")
        return sum(
            image.contains("square") for image in _labels(collection, result.stdout.splitlines())
        )

    plain = squares_in_top("red circle")
    without = _labels(collection, _cli_hits(index_path, "red circle", "--not", "square"))
    assert sum(image.contains("red circle") for image in without) >= 8
    assert not any(image.contains("square") for image in without)
    assert squares_in_top("red circle", "--not", "square") < plain


def test_a_box_around_a_blue_star_finds_blue_stars(
    collection: Collection, index_path: Path
) -> None:
    source = next(
        image
        for image in collection.images
        if len(image.objects) >= 2
        and any(o.name == "blue star" for o in image.objects)
        and not all(o.name == "blue star" for o in image.objects)
    )
    star = next(o for o in source.objects if o.name == "blue star")
    with Index.open(index_path) as index:
        hits = index.search([QueryPart(image=str(source.path), box=Box(*star.box))], top=11)
    others = [h for h in _labels(collection, [h.image.path for h in hits]) if h != source][:10]
    assert sum(image.contains("blue star") for image in others) >= 8, [h.caption for h in others]


def test_an_example_image_finds_images_with_its_object(
    collection: Collection, index_path: Path
) -> None:
    singles = [image for image in collection.images if len(image.objects) == 1][:5]
    right = 0
    with Index.open(index_path) as index:
        for example in singles:
            hits = index.search([QueryPart(image=str(example.path))], top=11)
            labels = _labels(collection, [h.image.path for h in hits])
            right += sum(image.contains(example.objects[0].name) for image in labels[1:])
    assert right / (10 * len(singles)) >= 0.6


def test_demo_command_runs_offline_and_reuses_its_work(tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1"}
    first = imgsearch("demo", "--dir", str(tmp_path), "--count", "300", env=env)
    assert first.returncode == 0, first.stderr
    assert "added 300" in first.stderr
    assert 'text: "red circle"' in first.stdout and "region:" in first.stdout
    assert "imgsearch index ~/Pictures --model clip-vit-b-32" in first.stdout
    # every query's command runs as printed: it names this index
    shown = f'imgsearch search "red circle" --index {tmp_path / "index"}'
    assert shown in first.stdout
    printed = imgsearch(*shlex.split(shown)[1:], "--json", "-n", "3", env=env)
    assert printed.returncode == 0 and len(printed.stdout.splitlines()) == 3
    assert "confidence" in first.stdout  # the tables show how sure each hit is
    assert f"imgsearch serve --index {tmp_path / 'index'} --root {tmp_path / 'collection'}\n" in (
        first.stdout
    )
    again = imgsearch("demo", "--dir", str(tmp_path), "--count", "300", env=env)
    assert again.returncode == 0, again.stderr
    assert "unchanged 300" in again.stderr and "added 0" in again.stderr
    assert (tmp_path / "collection" / "annotations.json").is_file()


def test_every_command_the_demo_prints_runs_as_printed_without_activating_its_venv(
    tmp_path: Path,
) -> None:
    """``make demo`` runs ``.venv/bin/imgsearch`` with a PATH that lacks ``.venv/bin``:
    the commands the demo prints carry the path that works, and run in a shell as shown."""
    console_script = Path(sys.executable).parent / "imgsearch"
    path = os.pathsep.join(
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if not (Path(folder) / "imgsearch").exists()
    )
    env = {  # a user's environment: none of the suite's IMGSEARCH_ settings (its plugins)
        **{k: v for k, v in os.environ.items() if not k.startswith("IMGSEARCH_")},
        "PATH": path, "HF_HUB_OFFLINE": "1", "IMGSEARCH_RESIDENT": "off",
    }  # fmt: skip
    demo = subprocess.run(
        [str(console_script), "demo", "--dir", str(tmp_path / "demo"), "--count", "60"],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    printed = [line.removeprefix("  $ ") for line in demo.stdout.splitlines() if "  $ " in line]

    def runs_this_imgsearch(command: str) -> bool:
        # the path printed: absolute, or relative to the working folder (./.venv/bin/…)
        program, *_ = shlex.split(command)
        return (Path.cwd() / program).resolve() == console_script.resolve()

    assert len(printed) == 6 and all(runs_this_imgsearch(line) for line in printed), printed
    assert all(shlex.split(line)[1] == "search" for line in printed)
    assert "source " in demo.stdout  # and how to type just imgsearch
    for command in printed:
        ran = subprocess.run(
            ["bash", "-c", command + " --paths"],
            capture_output=True, text=True, env=env, check=False, timeout=120,
        )  # fmt: skip
        assert ran.returncode == 0 and ran.stdout.count("\n") == 10, (command, ran.stderr)
    # and the commands it suggests afterwards: searching the demo's index, measuring it
    lines = demo.stdout.splitlines()
    yourself = next(
        line for line in lines if line.startswith("Search this demo's index yourself: ")
    )
    evaluate = next(line.strip() for line in lines if " evaluate " in line)
    for command in (yourself.split(": ", 1)[1] + " --paths", evaluate + " --json"):
        assert runs_this_imgsearch(command), command
        ran = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, env=env, check=False,
            timeout=300,
        )  # fmt: skip
        assert ran.returncode == 0 and ran.stdout.strip(), (command, ran.stderr)


def test_demo_embeds_again_an_index_left_by_another_model(
    tmp_path: Path, clip_model_dir: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    photo(seed=3).save(photos / "a.png")
    with Index.open(tmp_path / "demo" / "index", model=str(clip_model_dir)) as old:
        old.update([photos])  # an index made by an older demo's model
    result = imgsearch(
        "demo", "--dir", str(tmp_path / "demo"), "--count", "40", env={"HF_HUB_OFFLINE": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert "embedding the demo collection again with demo-shapes" in result.stderr
    assert "added 40" in result.stderr
    with Index.open(tmp_path / "demo" / "index") as index:
        assert index.status().vectors == 40 and index.encoder.model_id == "demo-shapes"


def test_demo_with_a_model_it_cannot_load_fails_before_making_the_collection(
    tmp_path: Path,
) -> None:
    failed = imgsearch(
        "demo", "--dir", str(tmp_path), "--model", "clip-vit-b-32",
        env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")},
    )  # fmt: skip
    assert failed.returncode == 3 and "not in the local Hugging Face cache" in failed.stderr
    assert not (tmp_path / "collection").exists()
