"""Server configuration: ``IMGSEARCH_*`` environment variables, a TOML file, or arguments.

Precedence (highest first): values passed in code or on the command line,
environment variables, the file named by ``IMGSEARCH_CONFIG`` (TOML, same
field names), defaults. Lists in variables are JSON (``IMGSEARCH_API_KEYS='["k1","k2"]'``)
or comma-separated (``IMGSEARCH_API_KEYS=k1,k2``). API keys may be given as
their SHA-256 hex digests (``api_key_hashes``) so the file holds no secret.

:func:`load_settings` turns every configuration mistake — a config file that
is missing or not TOML, a value out of range, a root that does not exist —
into one :class:`~imgsearch.errors.InvalidSettings` line that says what to fix.
Every limit and its default is listed in ``docs/security.md``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from imgsearch.config import CONFIG_VARIABLE, default_cache_dir, hub_offline, read_config_file
from imgsearch.errors import InvalidSettings
from imgsearch.media.decode import DecodeOptions
from imgsearch.models.settings import ModelSettings

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # Azure's limit: 20 MB
MIN_IMAGE_SIDE = 10
MAX_IMAGE_SIDE = 16000
MAX_TEXT_WORDS = 70
MAX_TEXT_CHARS = 2000
"""Characters of one text in any request (the model reads ~300 of them: 77 tokens)."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")

ListSetting = Annotated[list[str], NoDecode]


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMGSEARCH_", extra="ignore")

    index: str | Path | None = Field(
        None, description="Index folder or PostgreSQL URL (default: the user's data dir)."
    )
    model: str | None = Field(
        None, description="Model to serve; default: the index's own, else clip-vit-b-32."
    )
    precision: Literal["fp32", "int8"] | None = Field(
        None, description="fp32 or int8 (default: as the model name says, else fp32)."
    )
    providers: ListSetting = Field(
        default_factory=list,
        description="onnxruntime execution providers, best first (default: the best available).",
    )
    cache_dir: Path | None = Field(
        None, description="Derived model files, e.g. int8 copies (default: ~/.cache/imgsearch)."
    )
    offline: bool = Field(
        default_factory=lambda: hub_offline(os.environ),
        description="Use only cached models, never download (default: HF_HUB_OFFLINE).",
    )
    roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Folders that POST /v1/index brings in step, and whose files may be served.",
    )
    ocr: bool | None = Field(
        None,
        description="Read the text in pictures (OCR; needs imgsearch[ocr]) on index runs, so "
        "searches find printed words; default: as the index was last told (imgsearch index --ocr).",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    api_key_hashes: ListSetting = Field(
        default_factory=list, description="SHA-256 hex digests of accepted keys."
    )
    cors_origins: ListSetting = Field(default_factory=list)
    trusted_hosts: ListSetting = Field(
        default_factory=list,
        description="Host names clients may use to reach the server (Host header), besides "
        "localhost and IP addresses; '*' accepts any. Stops DNS-rebinding pages.",
    )
    trusted_proxies: ListSetting = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed.",
    )
    max_body_bytes: int = Field(MAX_IMAGE_BYTES + 1024 * 1024, ge=1024)
    max_pixels: int = Field(89_478_485, ge=1)
    max_concurrent_decodes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Images decoded at once, all requests together (default: CPUs).",
    )
    max_concurrent_fetches: int = Field(
        8, ge=1, description="Image URLs fetched at once; more wait their turn."
    )
    url_allow: ListSetting = Field(
        default_factory=list,
        description="Networks (CIDR) or host names that URL fetching may reach even when not public.",
    )
    url_timeout: float = Field(10.0, gt=0, le=300)
    rate_limit_per_minute: int = Field(
        0, ge=0, description="Requests per key per minute; 0: no limit."
    )
    auth_failures_per_minute: int = Field(
        20, ge=1, description="Requests with a wrong key per client address per minute, then 429."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client may take to send a request's headers."
    )
    body_timeout: float = Field(
        30.0, gt=0, description="Seconds a client may pause while sending a request's body."
    )
    body_deadline: float = Field(
        120.0,
        gt=0,
        description="Seconds a client may take in all to send a request's body (a 20 MB "
        "upload needs 1.4 Mbit/s).",
    )
    max_connections: int = Field(
        1000, ge=1, description="Open connections and running requests; beyond, 503."
    )
    max_connections_per_client: int = Field(
        100,
        ge=1,
        description="Open connections from one address (trusted proxies excepted); beyond, "
        "503: one client cannot hold every connection the server has.",
    )
    memory_trim_seconds: float = Field(
        30.0,
        ge=0,
        description="Every how many seconds the server hands the memory its threads freed "
        "back to the system (glibc's malloc_trim), so its size stays flat under load; 0: "
        "never.",
    )
    memory_heaps: int = Field(
        2,
        ge=0,
        description="How many allocator heaps the server's threads share (glibc's "
        "M_ARENA_MAX): fewer heaps keep fewer free holes, so its size stays flat under "
        "load; 0: glibc's default (eight per core).",
    )
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
    web_ui: bool = Field(True, description="Serve the search page at / (off: the HTTP API alone).")

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
        config_file = os.environ.get(CONFIG_VARIABLE)
        if config_file:  # the same reader as every command's (imgsearch.config)
            sources.append(InitSettingsSource(settings_cls, read_config_file(config_file)))
        return tuple(sources)

    @field_validator(
        "roots",
        "api_keys",
        "api_key_hashes",
        "cors_origins",
        "trusted_hosts",
        "trusted_proxies",
        "url_allow",
        "providers",
        mode="before",
    )
    @classmethod
    def _list(cls, value: Any) -> Any:
        """A list from a variable: JSON, or comma-separated (a lone key is a list of one)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("is neither a JSON list nor comma-separated values") from None
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("api_key_hashes")
    @classmethod
    def _hex_digests(cls, value: list[str]) -> list[str]:
        for digest in value:
            if not _HEX_DIGEST.match(digest.strip()):
                raise ValueError(
                    f"{digest[:12]!r}… is not a SHA-256 hex digest (64 hex digits); "
                    "make one with: printf %s KEY | sha256sum"
                )
        return [digest.strip().lower() for digest in value]

    @field_validator("roots")
    @classmethod
    def _existing_folders(cls, value: list[Path]) -> list[Path]:
        for root in value:
            if not root.expanduser().is_dir():
                raise ValueError(f"{root} is not an existing folder")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

    def model_settings(self) -> ModelSettings:
        """How to load and run the served model."""
        return ModelSettings(
            name=self.model,
            precision=self.precision,
            providers=tuple(self.providers) or None,
            text_threads=self.text_threads,
            max_concurrent_decodes=self.max_concurrent_decodes,
            decode=DecodeOptions(max_pixels=self.max_pixels),
            cache_dir=self.cache_dir or default_cache_dir(os.environ),
            offline=self.offline,
        )

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys or self.api_key_hashes)

    @property
    def on_loopback(self) -> bool:
        """Listening only where other machines cannot connect."""
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def keyless_warning(self) -> str | None:
        """What is wrong with serving without keys here, if anything."""
        if self.auth_enabled or self.on_loopback:
            return None
        return (
            f"no API keys are configured and the server listens on {self.host}: anyone who "
            "can reach this address can search and read the indexed images. Set "
            "IMGSEARCH_API_KEYS (or api_key_hashes), or listen on 127.0.0.1."
        )

    def describe(self) -> dict[str, Any]:
        """The settings for the start-up log, secrets masked."""
        shown = self.model_dump(mode="json")
        shown["api_keys"] = ["***"] * len(self.api_keys)
        shown["api_key_hashes"] = [h[:8] + "…" for h in self.api_key_hashes]
        if isinstance(self.index, str) and "@" in self.index:
            from imgsearch.store.postgres import redact

            shown["index"] = redact(self.index)
        return shown


def load_settings(**given: Any) -> ServerSettings:
    """Settings from ``given`` values, the environment and the config file, or one
    :class:`InvalidSettings` line naming the first problem and its fix."""
    try:
        return ServerSettings(**given)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem.get("loc", ())) or "settings"
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        raise InvalidSettings(
            f"setting {field}: {message}",
            hint=f"fix IMGSEARCH_{field.upper()}, {field} in the IMGSEARCH_CONFIG file, "
            "or the matching option of imgsearch serve",
        ) from None
    except SettingsError as exc:
        raise InvalidSettings(f"cannot read the settings: {exc}") from None
