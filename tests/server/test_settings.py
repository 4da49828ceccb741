"""Server settings: a TOML file, IMGSEARCH_* variables over it, arguments over both; secrets masked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from imgsearch.errors import InvalidSettings
from imgsearch.server.settings import ServerSettings, load_settings
from tests.cli.test_cli import imgsearch


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


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IMGSEARCH_CONFIG": "{tmp}/missing.toml"}, "which does not exist"),
        ({"IMGSEARCH_CONFIG": "{tmp}"}, "which is not a file"),
        ({"IMGSEARCH_CONFIG": "{tmp}/bad.toml"}, "is not valid TOML"),
        ({"IMGSEARCH_URL_ALLOW": "[not json"}, "url_allow: is neither a JSON list"),
        ({"IMGSEARCH_API_KEY_HASHES": "not-hex"}, "is not a SHA-256 hex digest"),
        ({"IMGSEARCH_MAX_BODY_BYTES": "-1"}, "max_body_bytes"),
        ({"IMGSEARCH_RATE_LIMIT_PER_MINUTE": "-5"}, "rate_limit_per_minute"),
        ({"IMGSEARCH_PORT": "99999"}, "port"),
        ({"IMGSEARCH_ROOTS": "{tmp}/nowhere"}, "is not an existing folder"),
        ({"IMGSEARCH_TRUSTED_PROXIES": "proxy.example"}, "is not an IP address or network"),
    ],
)
def test_configuration_mistakes_stop_serve_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    (tmp_path / "bad.toml").write_text("port = = 8000\n")
    filled = {name: value.format(tmp=tmp_path) for name, value in env.items()}
    result = imgsearch("serve", "--index", str(tmp_path / "index"), env=filled)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the error, and a hint


def test_a_missing_config_file_refuses_to_start_instead_of_running_keyless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMGSEARCH_CONFIG", str(tmp_path / "imgsearch.tmol"))  # a typo
    with pytest.raises(InvalidSettings, match="does not exist"):
        ServerSettings()


@pytest.mark.parametrize(
    ("value", "keys"),
    [("k1", ["k1"]), ("k1, k2", ["k1", "k2"]), ('["k1","k2"]', ["k1", "k2"])],
)
def test_keys_from_the_environment_in_any_spelling(
    monkeypatch: pytest.MonkeyPatch, value: str, keys: list[str]
) -> None:
    monkeypatch.setenv("IMGSEARCH_API_KEYS", value)
    assert [key.get_secret_value() for key in load_settings().api_keys] == keys


def test_serve_port_argument_out_of_range(tmp_path: Path) -> None:
    result = imgsearch("serve", "--index", str(tmp_path / "i"), "--port", "99999")
    assert result.returncode == 2 and "port" in result.stderr and "Traceback" not in result.stderr


def test_keyless_warning_only_off_loopback() -> None:
    assert ServerSettings(host="127.0.0.1").keyless_warning is None
    assert ServerSettings(host="0.0.0.0", api_keys=["k"]).keyless_warning is None
    assert "anyone who can reach" in (ServerSettings(host="0.0.0.0").keyless_warning or "")


def test_serve_honours_every_model_setting_the_cli_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMGSEARCH_PRECISION", "int8")
    monkeypatch.setenv("IMGSEARCH_PROVIDERS", "cpu")
    monkeypatch.setenv("IMGSEARCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = ServerSettings(model="demo-shapes", max_pixels=1234).model_settings()
    assert (model.name, model.precision, model.providers) == ("demo-shapes", "int8", ("cpu",))
    assert model.cache_dir == tmp_path / "cache" and model.offline
    assert model.decode.max_pixels == 1234
