"""One settings model, read from the environment, so every entry point agrees on configuration.

A plain pydantic model that reads its fields' aliases from the environment, rather than pydantic-settings'
BaseSettings: that library and its settings sources cost about 12 ms of every cold start (measured with
benchmarks/bench_cold_start.py, 53 M instructions under callgrind) for what is here one dictionary lookup
per field. The behaviour is the same: keyword arguments win over the environment, names are matched
case-insensitively, list values are split by our validators (never JSON-decoded), unknown names are ignored."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

SEGMIND_DEFAULT_BASE_URL = "https://api.segmind.com"
SEGMIND_DEFAULT_UPLOAD_URL = "https://workflows-api.segmind.com/upload-asset"
UNIFICALLY_DEFAULT_BASE_URL = "https://api.unifically.com"


def _default_home() -> Path:
    from platformdirs import user_data_dir  # only when TALKING_VIDEO_HOME is unset: 2 ms of start-up otherwise

    return Path(user_data_dir("talking-video-mcp", appauthor=False))


def _default_roots() -> list[Path]:
    return [Path.home()]


def _environment(aliases: list[str]) -> dict[str, str]:
    """The environment variables named by `aliases`, matched case-insensitively."""
    wanted = {alias.upper(): alias for alias in aliases}
    return {wanted[name.upper()]: value for name, value in os.environ.items() if name.upper() in wanted}


class Settings(BaseModel):
    """Configuration from environment variables (names in the README's table); keyword arguments, by the
    same names, override them."""

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        aliases = [f.alias or name for name, f in type(self).model_fields.items()]
        super().__init__(**{**_environment(aliases), **values})

    segmind_api_key: SecretStr | None = Field(default=None, alias="SEGMIND_API_KEY")
    segmind_base_url: str = Field(default=SEGMIND_DEFAULT_BASE_URL, alias="SEGMIND_BASE_URL")
    segmind_upload_url: str = Field(default=SEGMIND_DEFAULT_UPLOAD_URL, alias="SEGMIND_UPLOAD_URL")
    segmind_requests_per_minute: int = Field(default=50, ge=1, alias="SEGMIND_REQUESTS_PER_MINUTE")

    unifically_api_key: SecretStr | None = Field(default=None, alias="UNIFICALLY_API_KEY")
    unifically_base_url: str = Field(default=UNIFICALLY_DEFAULT_BASE_URL, alias="UNIFICALLY_BASE_URL")
    unifically_unit_price_usd: float = Field(default=0.05, ge=0, alias="UNIFICALLY_UNIT_PRICE_USD")
    unifically_requests_per_minute: int = Field(default=60, ge=1, alias="UNIFICALLY_REQUESTS_PER_MINUTE")

    sandbox: bool = Field(default=False, alias="TALKING_VIDEO_SANDBOX")
    home: Path = Field(default_factory=_default_home, alias="TALKING_VIDEO_HOME")
    allowed_roots: list[Path] = Field(
        default_factory=_default_roots, alias="TALKING_VIDEO_ALLOWED_ROOTS"
    )
    max_job_cost_usd: float = Field(default=5.0, ge=0, alias="TALKING_VIDEO_MAX_JOB_COST_USD")
    daily_budget_usd: float = Field(default=25.0, ge=0, alias="TALKING_VIDEO_DAILY_BUDGET_USD")
    http_token: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_HTTP_TOKEN")
    http_allowed_hosts: list[str] = Field(
        default_factory=list, alias="TALKING_VIDEO_HTTP_ALLOWED_HOSTS"
    )
    # postgresql://user:password@host:port/dbname: the job ledger on PostgreSQL (unset: SQLite in home).
    database_url: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_DATABASE_URL")
    # Several processes on one database (replicas, workers): a name for this one in leases, logs and the
    # `x-client-id` header sent to providers (unset: host and pid only, and no header).
    replica_id: str | None = Field(default=None, alias="TALKING_VIDEO_REPLICA_ID", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # Local renders this process runs at once (unset: half the CPUs, at least 1; 0: leave them to workers).
    render_slots: int | None = Field(default=None, ge=0, le=64, alias="TALKING_VIDEO_RENDER_SLOTS")
    # Streamable HTTP without server-side sessions, so any replica behind a load balancer can answer.
    http_stateless: bool = Field(default=False, alias="TALKING_VIDEO_HTTP_STATELESS")
    # The server's external base URL (https://videos.example.com), for the links it hands out; unset: the
    # base URL each HTTP request came in on.
    public_url: str | None = Field(default=None, alias="TALKING_VIDEO_PUBLIC_URL", pattern=r"^https?://[^\s?#]+$")
    # Signs download links (HMAC-SHA256). Replicas must share it; unset: one is made once in the home folder.
    url_secret: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_URL_SECRET")
    download_url_ttl_s: int = Field(default=86_400, ge=1, le=604_800, alias="TALKING_VIDEO_DOWNLOAD_URL_TTL")
    # s3://bucket/prefix: finished videos are also kept in S3-compatible storage (unset: the local folder only).
    storage_url: str | None = Field(default=None, alias="TALKING_VIDEO_STORAGE_URL",
                                    pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$")
    # Where download links point at the store, when clients reach it by another name than the server does.
    storage_public_endpoint: str | None = Field(default=None, alias="TALKING_VIDEO_STORAGE_PUBLIC_ENDPOINT",
                                                pattern=r"^https?://[^\s?#]+$")
    # The standard AWS variables, read here so that one settings object describes the store (unset: boto3's
    # own lookup: ~/.aws, instance roles).
    aws_endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    aws_access_key_id: str | None = Field(default=None, alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(default=None, alias="AWS_SECRET_ACCESS_KEY")
    aws_region: str | None = Field(default=None, alias="AWS_REGION")

    # Polling schedules are written in provider seconds; the sandbox emulator runs faster,
    # so the runner divides its waits by this factor to stay in step with it.
    time_scale: float = Field(default=1.0, gt=0, alias="TALKING_VIDEO_TIME_SCALE")
    emulator_speed: float = Field(default=50.0, gt=0, alias="TALKING_VIDEO_EMULATOR_SPEED")
    http_timeout_s: float = Field(default=30.0, gt=0, alias="TALKING_VIDEO_HTTP_TIMEOUT")
    log_level: str = Field(default="INFO", alias="TALKING_VIDEO_LOG_LEVEL")

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("http_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str):
            if not text.strip():
                return None
            if not text.strip().startswith(("postgresql://", "postgres://")):
                raise ValueError("TALKING_VIDEO_DATABASE_URL must be a postgresql:// URL (or unset for SQLite)")
            return SecretStr(text.strip())
        return value

    @field_validator("public_url", "storage_url", "storage_public_endpoint", "aws_endpoint_url", "aws_region",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().rstrip("/") or None
        return value

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(value).expanduser()
        return value

    @property
    def ledger_path(self) -> Path:
        return self.home / "jobs.sqlite"

    @property
    def videos_dir(self) -> Path:
        return self.home / "videos"

    @property
    def local_render_slots(self) -> int:
        if self.render_slots is not None:
            return self.render_slots
        return max(1, (os.cpu_count() or 2) // 2)

    @property
    def url_secret_path(self) -> Path:
        return self.home / "url-secret"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction."""
        values = [self.segmind_api_key, self.unifically_api_key, self.http_token, self.url_secret,
                  self.aws_secret_access_key]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        if self.database_url is not None:
            password = urlsplit(self.database_url.get_secret_value()).password
            if password:
                found.append(password)
        return found
