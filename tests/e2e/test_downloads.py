"""Download links over a real streamable HTTP server: a finished job's `download_url` fetches the video with a
plain HTTP client (no token, no MCP session, ranges answered 206), every changed byte and every expired or
foreign-signed link gets 403, and a link works from either of two replicas sharing the ledger and the secret.
In-process (as over stdio) there is no link: results keep the local path and its file:// link."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mcp import Client

from talking_video_mcp.downloads import Signer
from talking_video_mcp.settings import Settings
from tests.conftest import env_for, make_settings
from tests.helpers import png_bytes, structured, upload, wait_for_job
from tests.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "tv-download-test-token-41c9"
SECRET = "replicas-share-this-download-secret-5f0e2a"
SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _args(emulator: Any, script: str) -> dict[str, Any]:
    return {"model": "segmind/heygen-avatar-iv", "image": upload(emulator.base_url, png_bytes(), "image/png"),
            "script": script, "force_new": True}


@asynccontextmanager
async def _client(url: str, token: str | None = None) -> Any:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (httpx2.AsyncClient(headers=headers, timeout=60) as http,
                Client(streamable_http_client(url, http_client=http)) as client):
        yield client


async def _finished(client: Any, args: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Submit, wait until completed; the final view and the raw check_video_status result."""
    job = await wait_for_job(client, structured(await client.call_tool("generate_talking_video", args)))
    assert job["status"] == "completed", job
    result = await client.call_tool("check_video_status", {"job_id": job["job_id"]})
    return structured(result), result


def _changed(url: str, i: int) -> str:
    """`url` with byte `i` replaced by another URL-safe character."""
    other = SAFE[(SAFE.find(url[i]) + 1) % len(SAFE)] if url[i] in SAFE else "A"
    return url[:i] + other + url[i + 1:]


def _on(url: str, port: int) -> str:
    """The same link through another replica: the base URL is not signed, the rest is."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"127.0.0.1:{port}").geturl()


@pytest.fixture
def token_server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess({**env_for(settings), "TALKING_VIDEO_HTTP_TOKEN": TOKEN}, tmp_path / "server.log")
    try:
        yield server
    finally:
        server.stop()


async def test_a_finished_video_downloads_with_no_token(token_server: ServerProcess, settings: Settings,
                                                        emulator: Any) -> None:
    async with _client(token_server.url, TOKEN) as client:
        view, result = await _finished(client, _args(emulator, "Fetch me over plain HTTP."))
    url = view["download_url"]
    base = f"http://127.0.0.1:{token_server.port}"
    assert url.startswith(f"{base}/downloads/{view['job_id']}.mp4?expires="), url
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert abs(expires - (time.time() + 86_400)) < 120  # the default lifetime: 24 h
    links = [c for c in result.content if c.type == "resource_link" and c.mime_type == "video/mp4"]
    assert [link.uri for link in links] == [url]  # the resource link is the download link, not a file:// path
    assert "download_url" in view["next_step"]

    local = Path(view["video_path"]).read_bytes()
    whole = httpx.get(url, timeout=30)  # no token, no session
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.content == local and whole.headers["accept-ranges"] == "bytes"
    part = httpx.get(url, headers={"range": "bytes=100-1099"}, timeout=30)
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-1099/{len(local)}"
    assert part.content == local[100:1100] and part.headers["content-type"] == "video/mp4"
    tail = httpx.get(url, headers={"range": "bytes=-64"}, timeout=30)
    assert tail.status_code == 206 and tail.content == local[-64:]
    assert httpx.head(url, timeout=30).headers["content-length"] == str(len(local))
    # Everything else still needs the token.
    assert httpx.get(f"{base}/videos/{view['job_id']}.mp4", timeout=30).status_code == 401

    # Any byte changed after the base URL: 403, always, and never the video.
    signed_from = len(f"{base}/downloads/")
    refused = {i: httpx.get(_changed(url, i), timeout=30).status_code for i in range(signed_from, len(url))}
    assert set(refused.values()) == {403}, {i: s for i, s in refused.items() if s != 403}
    for extra in ("&x=1", "&signature=AAAA", "&expires=9999999999", "%00"):
        assert httpx.get(url + extra, timeout=30).status_code == 403
    for i in range(len(base) + 1, signed_from):  # in the route's name: another route, which needs the token
        assert httpx.get(_changed(url, i), timeout=30).status_code in (401, 403, 404)

    # Signed with this server's secret (kept in its home, owner-only) but expired, or for another owner: 403.
    secret_file = settings.home / "url-secret"
    assert secret_file.stat().st_mode & 0o077 == 0
    signer = Signer(secret_file.read_text().strip().encode())
    now = int(time.time())
    assert httpx.get(signer.url(base, view["job_id"], None, now + 60), timeout=30).status_code == 200
    assert httpx.get(signer.url(base, view["job_id"], None, now - 1), timeout=30).status_code == 403
    assert httpx.get(signer.url(base, view["job_id"], "someone-else", now + 60), timeout=30).status_code == 403
    assert httpx.get(Signer(b"x" * 32).url(base, view["job_id"], None, now + 60), timeout=30).status_code == 403
    assert TOKEN not in token_server.log.read_text()


async def test_in_process_results_keep_the_local_file(client: Any, emulator: Any) -> None:
    view, result = await _finished(client, _args(emulator, "No link here."))
    assert view["download_url"] is None and Path(view["video_path"]).is_file()
    links = [c for c in result.content if c.type == "resource_link" and c.mime_type == "video/mp4"]
    assert len(links) == 1 and links[0].uri.startswith("file://")


@pytest.fixture
def two_replicas(tmp_path: Path, emulator: Any, pg_url: str) -> Iterator[dict[str, ServerProcess]]:
    """Two stateless replicas on one PostgreSQL ledger and one home, sharing TALKING_VIDEO_URL_SECRET; replica b
    signs links that live 2 s. A third process on the same ledger has another secret."""
    home = tmp_path / "shared-home"
    home.mkdir()
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url)
    env = {**env_for(settings), "TALKING_VIDEO_URL_SECRET": SECRET}
    servers = {
        "a": ServerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "a"}, tmp_path / "a.log", wait=False,
                           args=("--stateless",)),
        "b": ServerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "b", "TALKING_VIDEO_DOWNLOAD_URL_TTL": "2"},
                           tmp_path / "b.log", wait=False, args=("--stateless",)),
        "foreign": ServerProcess({**env, "TALKING_VIDEO_REPLICA_ID": "c", "TALKING_VIDEO_URL_SECRET": SECRET[::-1]},
                                 tmp_path / "c.log", wait=False, args=("--stateless",)),
    }
    try:
        for server in servers.values():
            server.wait_ready()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


async def test_a_link_works_from_either_replica_and_expires(two_replicas: dict[str, ServerProcess],
                                                             emulator: Any) -> None:
    a, b, foreign = two_replicas["a"], two_replicas["b"], two_replicas["foreign"]
    async with _client(a.url) as client:
        view, _ = await _finished(client, _args(emulator, "Any replica hands this out."))
    async with _client(b.url) as client:
        short = structured(await client.call_tool("check_video_status", {"job_id": view["job_id"]}))["download_url"]
    assert short.startswith(f"http://127.0.0.1:{b.port}/downloads/")
    local = Path(view["video_path"]).read_bytes()
    url = view["download_url"]
    for server in (a, b):
        got = httpx.get(_on(url, server.port), headers={"range": "bytes=0-"}, timeout=30)
        assert got.status_code == 206 and got.content == local, server.url
        assert got.headers["content-type"] == "video/mp4"
    assert httpx.get(_on(url, foreign.port), timeout=30).status_code == 403  # another secret: refused
    time.sleep(max(0.0, int(parse_qs(urlsplit(short).query)["expires"][0]) - time.time()) + 0.5)
    for server in (a, b):
        assert httpx.get(_on(short, server.port), timeout=30).status_code == 403  # expired
        assert httpx.get(_on(url, server.port), timeout=30).status_code == 200  # still valid
