"""One settings model, read from the environment, so every entry point agrees on configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SEGMIND_DEFAULT_BASE_URL = "https://api.segmind.com"
SEGMIND_DEFAULT_UPLOAD_URL = "https://workflows-api.segmind.com/upload-asset"
UNIFICALLY_DEFAULT_BASE_URL = "https://api.unifically.com"


def _default_home() -> Path:
    return Path(user_data_dir("talking-video-mcp", appauthor=False))


def _default_roots() -> list[Path]:
    return [Path.home()]


class Settings(BaseSettings):
    """Configuration from environment variables (names in the README's table)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

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
    allowed_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=_default_roots, alias="TALKING_VIDEO_ALLOWED_ROOTS"
    )
    max_job_cost_usd: float = Field(default=5.0, ge=0, alias="TALKING_VIDEO_MAX_JOB_COST_USD")
    daily_budget_usd: float = Field(default=25.0, ge=0, alias="TALKING_VIDEO_DAILY_BUDGET_USD")
    # A team's per-user limit on top of the total above (OAuth only: without sign-in there is one user).
    user_daily_budget_usd: float | None = Field(default=None, ge=0, alias="TALKING_VIDEO_USER_DAILY_BUDGET_USD")
    http_token: SecretStr | None = Field(default=None, alias="TALKING_VIDEO_HTTP_TOKEN")
    # OAuth 2.1 sign-in on the HTTP transport (http_app.py, oauth.py): the server's external base URL (its MCP
    # endpoint is <public_url>/mcp, the audience tokens must name), the authorization server that issues them,
    # and the scopes a token must carry.
    public_url: str | None = Field(default=None, alias="TALKING_VIDEO_PUBLIC_URL")
    oauth_issuer: str | None = Field(default=None, alias="TALKING_VIDEO_OAUTH_ISSUER")
    oauth_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["mcp:tools"], alias="TALKING_VIDEO_OAUTH_SCOPES"
    )
    http_allowed_hosts: Annotated[list[str], NoDecode] = Field(
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

    @field_validator("user_daily_budget_usd", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value  # `VAR=` in docker-compose

    @field_validator("oauth_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("public_url", "oauth_issuer", mode="before")
    @classmethod
    def _check_url(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            # An issuer is compared as written (some end in "/"); the public URL is a base for paths.
            text = value.strip() if info.field_name == "oauth_issuer" else value.strip().rstrip("/")
            if not text:
                return None
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                name = "TALKING_VIDEO_PUBLIC_URL" if info.field_name == "public_url" else "TALKING_VIDEO_OAUTH_ISSUER"
                raise ValueError(f"{name} must be an http(s) URL such as https://videos.example.com")
            return text
        return value

    @model_validator(mode="after")
    def _check_oauth(self) -> Settings:
        if self.oauth_issuer and not self.public_url:
            raise ValueError(
                "TALKING_VIDEO_OAUTH_ISSUER needs TALKING_VIDEO_PUBLIC_URL (the server's external base URL, the "
                "audience of its tokens)"
            )
        if self.oauth_issuer and self.http_token is not None and self.http_token.get_secret_value():
            raise ValueError("set either TALKING_VIDEO_OAUTH_ISSUER or TALKING_VIDEO_HTTP_TOKEN, not both")
        return self

    @property
    def mcp_url(self) -> str | None:
        """This server's MCP endpoint as clients reach it: the resource (audience) OAuth tokens are for."""
        return f"{self.public_url}/mcp" if self.public_url else None

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
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def secrets(self) -> list[str]:
        """Every configured secret value, for redaction."""
        values = [self.segmind_api_key, self.unifically_api_key, self.http_token]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        if self.database_url is not None:
            password = urlsplit(self.database_url.get_secret_value()).password
            if password:
                found.append(password)
        return found
