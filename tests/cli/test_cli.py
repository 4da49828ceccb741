"""End to end through the installed ``imgsearch`` console script, as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgsearch.models.catalog import bundled_folder
from imgsearch.models.embedder import Embedder
from tests.conftest import hub_cache, photo


def imgsearch(
    *args: str, env: dict[str, str] | None = None, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user does (offline, with the fake encoders loadable as ``-m
    fake-hash``): in this process through the console script's own entry point, or in a
    process of its own with ``process=True`` (the installed module, a fresh interpreter)."""
    merged = {"HF_HUB_OFFLINE": "1", "IMGSEARCH_PLUGINS": "tests.fakes", **(env or {})}
    if process:
        return subprocess.run(
            [sys.executable, "-m", "imgsearch.cli.main", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **merged},
            timeout=120,
            check=False,
        )
    return _in_process(list(args), merged)


def _in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from imgsearch.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)  # whole: a config file adds the variables it stands for
    os.environ.update(env)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            run(args)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_vectorize_text_prints_azure_shaped_json(clip_model_dir: Path) -> None:
    result = imgsearch("vectorize", "--text", "a red circle", "--model", str(clip_model_dir))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["modelVersion"] == "tiny-clip"
    expected = Embedder(clip_model_dir).embed_texts(["a red circle"])[0]
    np.testing.assert_allclose(body["vector"], expected, atol=1e-6)


def test_vectorize_image_region(clip_model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    photo(400, 300).save(path, quality=95)
    result = imgsearch(
        "vectorize", "--image", str(path), "--box", "50,40,200,150", "-m", str(clip_model_dir)
    )
    assert result.returncode == 0, result.stderr
    from imgsearch.types import Box

    expected = Embedder(clip_model_dir).embed_images([path], [Box(50, 40, 200, 150)])[0]
    np.testing.assert_allclose(json.loads(result.stdout)["vector"], expected, atol=1e-6)


def test_model_from_the_environment(clip_model_dir: Path) -> None:
    result = imgsearch("vectorize", "--text", "dog", env={"IMGSEARCH_MODEL": str(clip_model_dir)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["modelVersion"] == "tiny-clip"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["vectorize", "--image", "/no/such.jpg"], 2, "error: /no/such.jpg: no such file"),
        (["vectorize", "--text", "  "], 2, "error: text #0 is empty"),
        (
            ["vectorize", "--text", "a", "--image", "x.jpg"],
            2,
            "give exactly one of --image or --text",
        ),
        (["vectorize", "--image", "IMG", "--box", "1,2,3"], 2, "cannot read box '1,2,3'"),
        (
            ["vectorize", "--image", "IMG", "--box", "0,0,5000,10"],
            2,
            "lies outside the 64x48 image",
        ),
        (["vectorize", "--image", "BAD"], 2, "not a recognised image format"),
        (["vectorize", "--text", "a", "-m", "no-such-model"], 3, "unknown model 'no-such-model'"),
    ],
)
def test_errors_are_one_line_messages_without_traceback(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    image, bad = tmp_path / "ok.png", tmp_path / "bad.jpg"
    photo(64, 48).save(image)
    bad.write_text("not an image")
    args = [str(image) if a == "IMG" else str(bad) if a == "BAD" else a for a in args]
    if "-m" not in args:
        args += ["-m", "fake-hash"]
    result = imgsearch(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_offline_default_model_names_the_fix(tmp_path: Path) -> None:
    result = imgsearch(  # huggingface_hub reads HF_HOME when imported: a fresh process
        "vectorize",
        "--text",
        "dog",
        env={"HF_HOME": str(tmp_path), "IMGSEARCH_MODEL": ""},
        process=True,
    )
    assert result.returncode == 3
    assert "not in the local Hugging Face cache" in result.stderr
    assert "hint:" in result.stderr


def test_models_list_json_is_the_catalog() -> None:
    result = imgsearch("models", "list", "--json")
    names = [entry["name"] for entry in json.loads(result.stdout)]
    assert names[0] == "clip-vit-b-32"
    assert {"clip-vit-b-16", "clip-vit-l-14", "laion-vit-b-32", "siglip-base-patch16-224"} <= set(
        names
    )
    assert any("multilingual" in entry["notes"].lower() for entry in json.loads(result.stdout))


def test_models_list_fits_a_terminal_and_says_which_models_work_offline(tmp_path: Path) -> None:
    home = tmp_path / "home"  # a converted checkpoint in imgsearch's cache: usable offline
    shutil.copytree(bundled_folder("demo-shapes"), home / ".cache/imgsearch/models/resnet-50")
    env = {"HOME": str(home), "HF_HOME": str(tmp_path / "hf"), "COLUMNS": "80"}
    listed = imgsearch("models", "list", env=env, process=True)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) <= 16 and all(len(line) <= 80 for line in lines)
    rows = {line.split()[0]: line for line in lines[1:] if line.strip()}
    assert rows["demo-shapes"].rstrip().endswith("ships inside imgsearch")
    assert rows["resnet-50"].rstrip().endswith("downloaded: works offline")
    assert rows["clip-vit-b-32"].rstrip().endswith("downloaded on first use")
    entries = json.loads(imgsearch("models", "list", "--json", env=env, process=True).stdout)
    assert {e["name"]: e["available"] for e in entries}["resnet-50"] == "cached"
    notes = imgsearch("models", "list", "--long", env={**env, "COLUMNS": "200"}, process=True)
    assert "the classic image-similarity baseline" in notes.stdout


def test_models_export_and_verify(clip_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    result = imgsearch("models", "export", str(clip_checkpoint), str(out), "--id", "cli-clip")
    assert result.returncode == 0, result.stderr
    assert "exported cli-clip (dim 24)" in result.stdout
    verified = imgsearch("models", "verify", str(out))
    assert verified.returncode == 0, verified.stderr
    assert "5 files match their checksums" in verified.stdout  # graphs, weights, tokenizer


def test_hub_repo_id_loads_from_the_standard_cache_offline(
    clip_model_dir: Path, tmp_path: Path
) -> None:
    """HF_HUB_CACHE + HF_HUB_OFFLINE=1, exactly as a user on an air-gapped machine runs it."""
    cache = hub_cache(tmp_path / "hub", "acme/tiny-clip", clip_model_dir)
    result = imgsearch(
        "vectorize",
        "--text",
        "a red circle",
        "--model",
        "acme/tiny-clip",
        env={"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"},
        process=True,  # huggingface_hub reads its variables when imported
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["modelVersion"] == "acme/tiny-clip"
    expected = Embedder(clip_model_dir).embed_texts(["a red circle"])[0]
    np.testing.assert_allclose(body["vector"], expected, atol=1e-6)


def test_hints_name_this_interfaces_flags(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo(64, 48).save(folder / "a.jpg")
    index = str(tmp_path / "index")
    assert imgsearch("index", str(folder), "--index", index, "-m", "fake-hash").returncode == 0
    other = imgsearch("search", "x", "--index", index, "-m", "fake-hash-b")
    assert other.returncode == 4
    assert "imgsearch index --reembed --model fake-hash-b FOLDER" in other.stderr
    empty = imgsearch("search", "--index", index)
    assert empty.returncode == 2 and "--image PATH or --like ID" in empty.stderr
    missing = imgsearch("search", "x", "--index", str(tmp_path / "nowhere"))
    assert missing.returncode == 4 and "imgsearch index FOLDER" in missing.stderr
    odd = tmp_path / "[red]odd.jpg"
    odd.write_text("not an image")
    shown = imgsearch("vectorize", "--image", str(odd), "-m", "fake-hash")
    assert "[red]odd.jpg" in shown.stderr  # a file name is text, not markup
