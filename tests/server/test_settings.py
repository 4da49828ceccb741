"""Server settings: a TOML file, IMGSEARCH_* variables over it, arguments over both; secrets masked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from imgsearch.server.settings import ServerSettings


def test_file_then_environment_then_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = hashlib.sha256(b"from-file").hexdigest()
    config = tmp_path / "imgsearch.toml"
    config.write_text(
        f'port = 9001\nhost = "0.0.0.0"\napi_key_hashes = ["{digest}"]\n'
        'cors_origins = ["https://a.example"]\nrate_limit_per_minute = 30\n'
    )
    monkeypatch.setenv("IMGSEARCH_CONFIG", str(config))
    monkeypatch.setenv("IMGSEARCH_PORT", "9002")
    monkeypatch.setenv("IMGSEARCH_API_KEYS", json.dumps(["env-secret"]))
    settings = ServerSettings(host="127.0.0.1")
    assert settings.port == 9002  # environment over file
    assert settings.host == "127.0.0.1"  # argument over file
    assert settings.cors_origins == ["https://a.example"] and settings.rate_limit_per_minute == 30
    assert settings.auth_enabled
    shown = json.dumps(settings.describe())
    assert "env-secret" not in shown and digest not in shown
    assert settings.describe()["api_keys"] == ["***"]


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGSEARCH_CONFIG", raising=False)
    settings = ServerSettings()
    assert settings.host == "127.0.0.1" and settings.port == 8000 and not settings.auth_enabled
