"""The CLI's settings: flags over IMGSEARCH_* variables over defaults, read at the edge."""

from __future__ import annotations

from pathlib import Path

from imgsearch.cli.options import model_settings


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
