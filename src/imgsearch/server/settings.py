"""Server configuration: ``IMGSEARCH_*`` environment variables, a TOML file, or arguments.

Precedence (highest first): values passed in code or on the command line,
environment variables (``IMGSEARCH_API_KEYS='["k1","k2"]'``), the file named by
``IMGSEARCH_CONFIG`` (TOML, same field names), defaults. API keys may be given
as their SHA-256 hex digests (``api_key_hashes``) so the file holds no secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # Azure's limit: 20 MB
MIN_IMAGE_SIDE = 10
MAX_IMAGE_SIDE = 16000
MAX_TEXT_WORDS = 70


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMGSEARCH_", extra="ignore")

    index: str | Path | None = Field(
        None, description="Index folder or PostgreSQL URL (default: the user's data dir)."
    )
    model: str | None = Field(
        None, description="Model to serve; default: the index's own, else clip-vit-b-32."
    )
    roots: list[Path] = Field(
        default_factory=list, description="Folders that POST /v1/index brings in step."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: list[SecretStr] = Field(default_factory=list)
    api_key_hashes: list[str] = Field(
        default_factory=list, description="SHA-256 hex digests of accepted keys."
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = MAX_IMAGE_BYTES + 1024 * 1024
    max_pixels: int = 89_478_485
    url_allow: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR) or host names that URL fetching may reach even when not public.",
    )
    url_timeout: float = 10.0
    rate_limit_per_minute: int = Field(0, description="Requests per key per minute; 0: no limit.")
    thumbnail_cache: Path | None = None
    text_threads: int | None = Field(
        None,
        ge=1,
        description="onnxruntime threads of the text tower; default: 1 for int8 models "
        "(under load a batch on one thread costs least CPU, see BENCHMARKS.md), "
        "else onnxruntime's choice.",
    )
    db_pool_size: int = Field(
        8, ge=1, description="PostgreSQL connections shared by concurrent requests."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("IMGSEARCH_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys or self.api_key_hashes)

    def describe(self) -> dict[str, Any]:
        """The settings for the start-up log, secrets masked."""
        shown = self.model_dump(mode="json")
        shown["api_keys"] = ["***"] * len(self.api_keys)
        shown["api_key_hashes"] = [h[:8] + "…" for h in self.api_key_hashes]
        if isinstance(self.index, str) and "@" in self.index:
            from imgsearch.store.postgres import redact

            shown["index"] = redact(self.index)
        return shown
