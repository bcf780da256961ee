"""The streamable HTTP transport lets no one in where they do not belong, tested over a real
subprocess: off loopback it will not start without TALKING_VIDEO_HTTP_TOKEN; with a token, every
request needs `Authorization: Bearer <token>` (a wrong one, or one in the query string, gets 401);
and Host/Origin checks stop DNS rebinding."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from talking_video_mcp.settings import Settings
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, env_for
from tests.servers import ServerProcess, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "tv-http-token-5d1c0a9e7b"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "security-test", "version": "1"}}}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def serve_cli(env: dict[str, str], host: str, timeout_s: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "talking_video_mcp", "serve", "--transport", "http", "--host", host,
         "--port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=timeout_s,
    )


@pytest.mark.parametrize(("host", "token"), [("0.0.0.0", None), ("::", ""), ("192.0.2.10", None),
                                             ("my-laptop.local", "")])
def test_off_loopback_without_a_token_is_refused(settings: Settings, host: str, token: str | None) -> None:
    env = env_for(settings)
    env.pop("TALKING_VIDEO_HTTP_TOKEN", None)
    if token is not None:
        env["TALKING_VIDEO_HTTP_TOKEN"] = token
    result = serve_cli(env, host)
    assert result.returncode != 0
    assert "TALKING_VIDEO_HTTP_TOKEN" in result.stderr and host in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def guarded(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {**env_for(settings), "TALKING_VIDEO_HTTP_TOKEN": TOKEN}
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        yield server
    finally:
        server.stop()


def post(server: ServerProcess, headers: dict[str, str] | None = None, url: str | None = None) -> httpx.Response:
    return httpx.post(url or server.url, headers={**MCP_HEADERS, **(headers or {})}, json=INIT, timeout=10)


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_requests_without_the_right_bearer_token_get_401(guarded: ServerProcess) -> None:
    basic = base64.b64encode(f"user:{TOKEN}".encode()).decode()
    refused: list[tuple[str, dict[str, str], str | None]] = [
        ("no header", {}, None),
        ("wrong token", bearer("not-the-token"), None),
        ("token prefix", bearer(TOKEN[:-1]), None),
        ("token plus junk", bearer(TOKEN + "x"), None),
        ("empty bearer", {"authorization": "Bearer"}, None),
        ("bare token", {"authorization": TOKEN}, None),
        ("basic auth", {"authorization": f"Basic {basic}"}, None),
        ("token in query", {}, f"{guarded.url}?token={TOKEN}"),
        ("access_token in query", {}, f"{guarded.url}?access_token={TOKEN}"),
        ("token in another header", {"x-api-key": TOKEN, "x-auth-token": TOKEN}, None),
    ]
    for label, headers, url in refused:
        response = post(guarded, headers, url)
        assert response.status_code == 401, (label, response.status_code, response.text)
        assert response.headers.get("www-authenticate") == "Bearer"
        assert TOKEN not in response.text
    for method in ("GET", "DELETE"):
        assert httpx.request(method, guarded.url, headers=MCP_HEADERS).status_code == 401
    assert httpx.get(f"http://127.0.0.1:{guarded.port}/", timeout=10).status_code == 401
    assert post(guarded, bearer()).status_code == 200


def test_websocket_upgrade_without_a_token_is_not_accepted(guarded: ServerProcess) -> None:
    request = (
        f"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:{guarded.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status = sock.recv(200).split(b"\r\n", 1)[0]
    assert b" 101 " not in status, status


def test_dns_rebinding_is_stopped_by_host_and_origin_checks(guarded: ServerProcess) -> None:
    foreign_host = post(guarded, {**bearer(), "host": "evil.example"})
    assert 400 <= foreign_host.status_code < 500, foreign_host.status_code
    foreign_host_port = post(guarded, {**bearer(), "host": f"evil.example:{guarded.port}"})
    assert 400 <= foreign_host_port.status_code < 500
    foreign_origin = post(guarded, {**bearer(), "origin": "http://evil.example"})
    assert foreign_origin.status_code == 403, foreign_origin.status_code
    rebound = post(guarded, {**bearer(), "origin": f"http://evil.example:{guarded.port}"})
    assert rebound.status_code == 403
    own = post(guarded, {**bearer(), "origin": f"http://127.0.0.1:{guarded.port}"})
    assert own.status_code == 200
    via_localhost = post(guarded, {**bearer(), "host": f"localhost:{guarded.port}"})
    assert via_localhost.status_code == 200


async def test_the_right_token_gives_a_whole_mcp_session(guarded: ServerProcess) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (httpx2.AsyncClient(headers=bearer(), timeout=30) as http,
                Client(streamable_http_client(guarded.url, http_client=http)) as client):
        tools = {t.name for t in (await client.list_tools()).tools}
        assert "generate_talking_video" in tools
        account = await client.call_tool("get_account", {})
        assert not account.is_error
    guarded.stop()
    log = guarded.log.read_text()
    for secret in (TOKEN, FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY):
        assert secret not in log


def test_off_loopback_with_a_token_serves_and_still_guards(settings: Settings, tmp_path: Path) -> None:
    env = {**env_for(settings), "TALKING_VIDEO_HTTP_TOKEN": TOKEN}
    server = ServerProcess(env, tmp_path / "server.log", host="0.0.0.0")
    try:
        assert post(server).status_code == 401
        assert post(server, bearer("wrong")).status_code == 401
        assert post(server, bearer()).status_code == 200
        foreign = post(server, {**bearer(), "host": "evil.example"})
        assert 400 <= foreign.status_code < 500
        assert post(server, {**bearer(), "origin": "http://evil.example"}).status_code == 403
    finally:
        server.stop()
    assert TOKEN not in (tmp_path / "server.log").read_text()
