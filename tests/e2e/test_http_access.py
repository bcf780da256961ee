"""Reaching the HTTP transport as people do: a browser opening the gallery, a client using a public name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from talking_video_mcp.http_app import build_http_app
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio
TOKEN = "gallery-token-123456"
BASE = "http://127.0.0.1:8765"


def app_for(home: Path, tmp_path: Path, **extra: Any) -> Any:
    settings = make_settings(home, tmp_path, "http://127.0.0.1:9", TALKING_VIDEO_HTTP_TOKEN=SecretStr(TOKEN), **extra)
    return build_http_app(settings, host="127.0.0.1", port=8765)


def test_browser_exchanges_the_token_for_a_gallery_cookie(home: Path, tmp_path: Path):
    from starlette.testclient import TestClient

    # TestClient runs the app's lifespan: without it /api/jobs answers 503, which would prove nothing.
    with TestClient(app_for(home, tmp_path), base_url=BASE, follow_redirects=False) as browser:
        assert browser.get("/").status_code == 401
        assert browser.get("/?token=wrong").status_code == 401
        assert browser.get("/api/jobs").status_code == 401
        first = browser.get(f"/?token={TOKEN}")
        assert first.status_code == 303 and first.headers["location"] == "/"
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
        jobs = browser.get("/api/jobs")
        assert jobs.status_code == 200, jobs.text
        assert jobs.json()["jobs"] == []
        # The cookie never opens the MCP endpoint: that needs the bearer header.
        mcp = browser.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert mcp.status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_scheme_is_case_insensitive(home: Path, tmp_path: Path, scheme: str):
    from starlette.testclient import TestClient

    with TestClient(app_for(home, tmp_path), base_url=BASE) as client:
        response = client.get("/api/jobs", headers={"authorization": f"{scheme} {TOKEN}"})
        assert response.status_code == 200, response.text
        assert response.json()["jobs"] == []
        wrong = client.get("/api/jobs", headers={"authorization": f"{scheme} not-{TOKEN}"})
        assert wrong.status_code == 401


def test_allowed_hosts_admit_a_public_name(home: Path, tmp_path: Path):
    from starlette.testclient import TestClient

    app = app_for(home, tmp_path, TALKING_VIDEO_HTTP_ALLOWED_HOSTS=["videos.example.com"])
    headers = {"authorization": f"Bearer {TOKEN}", "accept": "application/json, text/event-stream"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    with TestClient(app, base_url=BASE) as client:
        foreign = client.post("/mcp", json=body, headers={**headers, "host": "evil.example.com"})
        assert foreign.status_code in (400, 403, 421)
        named = client.post("/mcp", json=body, headers={**headers, "host": "videos.example.com"})
        assert named.status_code == 200, named.text


async def test_health_check_needs_no_token_and_says_nothing_else(home: Path, tmp_path: Path):
    transport = httpx.ASGITransport(app=app_for(home, tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as probe:
        health = await probe.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert (await probe.get("/healthz/../api/jobs")).status_code == 401
        assert (await probe.post("/healthz")).status_code == 401
