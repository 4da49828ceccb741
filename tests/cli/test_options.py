"""The CLI's settings: flags over IMGSEARCH_* variables over the config file over defaults,
read at the edge."""

from __future__ import annotations

import json
from pathlib import Path

from imgsearch.cli.options import model_settings
from imgsearch.config import with_config_file
from imgsearch.demo.collection import generate_collection
from tests.cli.test_cli import imgsearch


def test_flags_win_over_variables_and_variables_over_defaults(tmp_path: Path) -> None:
    env = {
        "IMGSEARCH_MODEL": "from-env",
        "IMGSEARCH_PRECISION": "int8",
        "IMGSEARCH_PROVIDERS": "cuda, cpu",
        "IMGSEARCH_CACHE": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
    }
    flagged = model_settings("from-flag", "fp32", 1234, batch_size=4, env=env)
    assert (flagged.name, flagged.precision, flagged.batch_size) == ("from-flag", "fp32", 4)
    assert flagged.decode.max_pixels == 1234
    from_env = model_settings(None, None, env=env)
    assert (from_env.name, from_env.precision) == ("from-env", "int8")
    assert from_env.providers == ("cuda", "cpu") and from_env.offline
    assert from_env.cache_dir == tmp_path / "cache"
    defaults = model_settings(None, None, env={"HOME": str(tmp_path)})
    assert defaults.name is None and defaults.precision is None and not defaults.offline
    assert defaults.providers is None
    # indexing and serving repack weights for fast repeated runs; a one-shot call does not
    assert defaults.prepack and not model_settings(None, None, env=env, one_shot=True).prepack


def test_the_config_file_stands_below_the_variables_for_every_setting(tmp_path: Path) -> None:
    config = tmp_path / "imgsearch.toml"
    config.write_text(
        'model = "from-file"\nprecision = "int8"\nproviders = ["cuda", "cpu"]\n'
        f'cache_dir = "{tmp_path / "cache"}"\noffline = true\nport = 9000\n'
    )
    env = with_config_file({"IMGSEARCH_CONFIG": str(config), "HOME": str(tmp_path)})
    from_file = model_settings(None, None, env=env)
    assert (from_file.name, from_file.precision) == ("from-file", "int8")
    assert from_file.providers == ("cuda", "cpu") and from_file.offline
    assert from_file.cache_dir == tmp_path / "cache"
    assert env["IMGSEARCH_PORT"] == "9000"  # the server's settings travel the same way
    overridden = with_config_file({"IMGSEARCH_CONFIG": str(config), "IMGSEARCH_MODEL": "env"})
    assert model_settings(None, None, env=overridden).name == "env"
    assert model_settings("flag", None, env=overridden).name == "flag"
    assert with_config_file({"HOME": "/h"}) == {"HOME": "/h"}  # no file: nothing added


def test_every_command_reads_the_config_file(tmp_path: Path) -> None:
    """``index``, ``search`` and ``status`` find the index (and model) the file names, as
    ``serve`` does; a broken file stops any command with one line."""
    folder = tmp_path / "photos"
    generate_collection(folder, 6, seed=3)
    index = tmp_path / "from-config"
    config = tmp_path / "imgsearch.toml"
    config.write_text(f'index = "{index}"\nmodel = "fake-hash"\n')
    env = {"IMGSEARCH_CONFIG": str(config), "IMGSEARCH_RESIDENT": "off"}
    made = imgsearch("index", str(folder), env=env)
    assert made.returncode == 0, made.stderr
    assert (index / "index.db").exists()
    status = imgsearch("status", "--json", env=env)
    assert status.returncode == 0 and json.loads(status.stdout)["images"] == 6, status.stderr
    found = imgsearch("search", "red", "--json", env=env)
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 6, found.stderr
    # the variable wins over the file
    elsewhere = imgsearch("status", env={**env, "IMGSEARCH_INDEX": str(tmp_path / "none")})
    assert elsewhere.returncode == 4
    config.write_text("index = ")  # not TOML
    broken = imgsearch("status", env=env, process=True)
    assert broken.returncode == 2
    assert "is not valid TOML" in broken.stderr and "Traceback" not in broken.stderr
