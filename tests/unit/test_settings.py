"""Settings come only from the documented variable names, never from generic ones that merely share a field's
name (HOME is set for everyone; DATABASE_URL and SANDBOX often are, for other programs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from platformdirs import user_data_dir

from talking_video_mcp.settings import Settings


def test_generic_environment_names_are_not_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "mysql://someone-elses-app/db")
    monkeypatch.setenv("SANDBOX", "1")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings()
    assert settings.home == Path(user_data_dir("talking-video-mcp", appauthor=False)) != tmp_path
    assert settings.database_url is None and settings.sandbox is False and settings.log_level == "INFO"


def test_documented_names_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TALKING_VIDEO_HOME", str(tmp_path))
    monkeypatch.setenv("TALKING_VIDEO_SANDBOX", "1")
    settings = Settings()
    assert settings.home == tmp_path and settings.sandbox is True


def test_oauth_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TALKING_VIDEO"):
            monkeypatch.delenv(name)
    plain = Settings()
    assert plain.oauth_issuer is None and plain.mcp_url is None and plain.oauth_scopes == ["mcp:tools"]
    assert plain.user_daily_budget_usd is None
    monkeypatch.setenv("TALKING_VIDEO_PUBLIC_URL", "https://videos.example.com/")
    monkeypatch.setenv("TALKING_VIDEO_OAUTH_ISSUER", "https://login.example.com/tenant/")
    monkeypatch.setenv("TALKING_VIDEO_OAUTH_SCOPES", "mcp:tools, videos:write")
    monkeypatch.setenv("TALKING_VIDEO_USER_DAILY_BUDGET_USD", "3.5")
    settings = Settings()
    assert settings.mcp_url == "https://videos.example.com/mcp"
    assert settings.oauth_issuer == "https://login.example.com/tenant/"  # issuers are compared as written
    assert settings.oauth_scopes == ["mcp:tools", "videos:write"] and settings.user_daily_budget_usd == 3.5
    monkeypatch.setenv("TALKING_VIDEO_HTTP_TOKEN", "t" * 40)
    with pytest.raises(ValueError, match="either TALKING_VIDEO_OAUTH_ISSUER or TALKING_VIDEO_HTTP_TOKEN"):
        Settings()
    monkeypatch.delenv("TALKING_VIDEO_HTTP_TOKEN")
    monkeypatch.delenv("TALKING_VIDEO_PUBLIC_URL")
    with pytest.raises(ValueError, match="needs TALKING_VIDEO_PUBLIC_URL"):
        Settings()
    monkeypatch.setenv("TALKING_VIDEO_PUBLIC_URL", "videos.example.com")
    with pytest.raises(ValueError, match="TALKING_VIDEO_PUBLIC_URL must be an http"):
        Settings()
