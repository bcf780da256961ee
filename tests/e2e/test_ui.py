"""The player app over MCP (tools/list, resources/read, the app-only tools) and the HTTP gallery's routes:
Range requests, ledger-only files, the bearer token and the Host check. No browser here (see tests/browser)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.ui.player import CHUNK_BYTES, MAX_CHUNK_BYTES, PLAYER_URI
from talking_video_mcp.ui.ranges import RangeNotSatisfiable, parse_range
from tests.browser.support import completed_job, http_server, sample_mp4, seed_job
from tests.conftest import make_settings
from tests.helpers import error_text, structured

pytestmark = pytest.mark.anyio

APP_MIME = "text/html;profile=mcp-app"
TOKEN = "ui-test-token-5b0c"


# ------------------------------------------------------------------ MCP Apps: tools/list, resources/read


async def test_tools_list_links_the_player(client: Any):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("generate_talking_video", "check_video_status"):
        meta = tools[name].meta or {}
        assert meta["ui"]["resourceUri"] == PLAYER_URI, meta
        assert "visibility" not in meta["ui"]  # default: the model and the app
    for name in ("get_video_chunk", "get_video_details"):
        assert tools[name].meta["ui"] == {"resourceUri": PLAYER_URI, "visibility": ["app"]}
        assert tools[name].annotations.read_only_hint is True
    assert all("ui" not in (t.meta or {}) for n, t in tools.items()
               if n not in ("generate_talking_video", "check_video_status", "get_video_chunk", "get_video_details"))
    length = tools["get_video_chunk"].input_schema["properties"]["length"]
    assert length["maximum"] == MAX_CHUNK_BYTES and length["default"] == CHUNK_BYTES


async def test_resources_read_returns_the_app(client: Any):
    listed = {str(r.uri): r for r in (await client.list_resources()).resources}
    assert listed[PLAYER_URI].mime_type == APP_MIME
    read = await client.read_resource(PLAYER_URI)
    [content] = read.contents
    assert content.mime_type == APP_MIME
    html = content.text
    assert html.lstrip().lower().startswith("<!doctype html>")
    for needed in ("ui/initialize", "ui/notifications/initialized", "ui/notifications/tool-result", "tools/call",
                   "get_video_chunk", "<video"):
        assert needed in html, needed
    assert "{{" not in html, "a template placeholder was left in the app"
    # Dependency-free: no external script, style, font or media.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "@import" not in html


async def test_results_for_clients_without_apps_are_unchanged(client: Any, emulator: Any):
    job = await completed_job(client, emulator)
    result = await client.call_tool("check_video_status", {"job_id": job["job_id"]})
    assert [c.type for c in result.content] == ["text", "resource_link", "resource_link"]
    assert json.loads(result.content[0].text)["job_id"] == job["job_id"]
    assert result.structured_content["video_path"] == job["video_path"]


# ------------------------------------------------------------------ the app-only tools


async def test_video_chunks_rebuild_the_file(client: Any, emulator: Any):
    job = await completed_job(client, emulator)
    data = Path(job["video_path"]).read_bytes()
    details = structured(await client.call_tool("get_video_details", {"job_id": job["job_id"]}))
    assert details["script"] == "Hello from the player." and details["voice_id"] == "Nova"
    assert details["video_bytes"] == len(data) and details["notice"] is None
    assert details["job"]["status"] == "completed"
    parts: list[bytes] = []
    offset = 0
    while True:
        result = await client.call_tool("get_video_chunk", {"job_id": job["job_id"], "offset": offset,
                                                            "length": 20_001})
        chunk = structured(result)
        assert chunk["total_bytes"] == len(data) and chunk["offset"] == offset
        assert len(result.content[0].text) < 200  # the bytes are not repeated in the text
        parts.append(base64.b64decode(chunk["data_base64"]))
        offset += chunk["length"]
        if chunk["eof"]:
            break
    assert b"".join(parts) == data
    assert len(parts) == -(-len(data) // 20_001)


async def test_video_chunk_refuses_what_is_not_a_finished_video(client: Any, emulator: Any, settings: Any,
                                                                 tmp_path: Path):
    job = await completed_job(client, emulator)
    running = seed_job(settings, "processing", progress=0.3)
    failed = seed_job(settings, "failed", error="image: no face found")
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(sample_mp4(1))
    foreign = seed_job(settings, "completed", video_path=outside)
    cases = [
        ({"job_id": "job_missing"}, "not in the ledger"),
        ({"job_id": running}, "processing"),
        ({"job_id": failed}, "failed"),
        ({"job_id": foreign}, "not in the videos directory"),
        ({"job_id": "../jobs.sqlite"}, "not a job id"),
        ({"job_id": job["job_id"], "offset": 10**9}, "past the end"),
        ({"job_id": job["job_id"], "length": MAX_CHUNK_BYTES + 1}, "length"),
        ({"job_id": job["job_id"], "offset": -1}, "offset"),
    ]
    for args, expected in cases:
        result = await client.call_tool("get_video_chunk", args)
        assert result.is_error, args
        assert expected in error_text(result), (args, error_text(result))
    details = structured(await client.call_tool("get_video_details", {"job_id": failed}))
    assert "failed" in details["notice"] and details["video_bytes"] is None
    assert details["job"]["error"] == "image: no face found."  # job errors are sentences


# ------------------------------------------------------------------ the HTTP gallery


def test_parse_range() -> None:
    assert parse_range(None, 1000) is None
    assert parse_range("bytes=100-199", 1000) == (100, 199)
    assert parse_range("bytes=900-", 1000) == (900, 999)
    assert parse_range("bytes=-100", 1000) == (900, 999)
    assert parse_range("bytes=-5000", 1000) == (0, 999)
    assert parse_range("bytes=990-5000", 1000) == (990, 999)
    assert parse_range("items=0-1", 1000) is None
    assert parse_range("bytes=0-1,5-6", 1000) is None
    for bad in ("bytes=1000-", "bytes=200-100", "bytes=abc", "bytes=-0", "bytes=-", "bytes=1-2-3", "bytes=١-٢"):
        with pytest.raises(RangeNotSatisfiable):
            parse_range(bad, 1000)
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)


def test_gallery_page_and_job_api(settings: Any):
    video = sample_mp4()
    done = seed_job(settings, "completed", progress=1.0, video=video, script="Done and dusted.")
    running = seed_job(settings, "processing", progress=0.4, step="poll")
    local = seed_job(settings, "failed", model="local", error="audio: silent")
    with http_server(settings) as server:
        page = httpx.get(f"{server.base_url}/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)  # type: ignore[union-attr]
        assert f'nonce="{nonce}"' in page.text and "{{" not in page.text
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.text, re.I)

        body = httpx.get(f"{server.base_url}/api/jobs").json()
        by_id = {j["job_id"]: j for j in body["jobs"]}
        assert set(by_id) == {done, running, local} and body["active"] == 1
        assert by_id[done]["video_src"] == f"videos/{done}.mp4" and by_id[done]["video_bytes"] == len(video)
        assert by_id[done]["script"] == "Done and dusted." and by_id[done]["voice_id"] == "Nova"
        assert by_id[running]["progress"] == 0.4 and by_id[running]["video_src"] is None
        assert {"local", "segmind/heygen-avatar-iv"} <= set(body["models"])
        only = httpx.get(f"{server.base_url}/api/jobs", params={"status": "completed"}).json()
        assert [j["job_id"] for j in only["jobs"]] == [done]
        only = httpx.get(f"{server.base_url}/api/jobs", params={"model": "local"}).json()
        assert [j["job_id"] for j in only["jobs"]] == [local]
        assert httpx.get(f"{server.base_url}/api/jobs", params={"status": "bogus"}).status_code == 400


def test_video_range_requests(settings: Any):
    video = sample_mp4()
    job_id = seed_job(settings, "completed", progress=1.0, video=video)
    url_path = f"/videos/{job_id}.mp4"
    size = len(video)
    with http_server(settings) as server, httpx.Client(base_url=server.base_url) as http:
        full = http.get(url_path)
        assert full.status_code == 200 and full.content == video
        assert full.headers["accept-ranges"] == "bytes" and full.headers["content-type"] == "video/mp4"
        assert int(full.headers["content-length"]) == size

        part = http.get(url_path, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == video[100:200] and len(part.content) == 100
        assert part.headers["content-range"] == f"bytes 100-199/{size}"
        assert part.headers["content-length"] == "100" and part.headers["accept-ranges"] == "bytes"

        tail = http.get(url_path, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == video[-50:]
        assert tail.headers["content-range"] == f"bytes {size - 50}-{size - 1}/{size}"
        open_ended = http.get(url_path, headers={"Range": f"bytes={size - 10}-"})
        assert open_ended.status_code == 206 and open_ended.content == video[-10:]

        for bad in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=200-100", "bytes=x-y"):
            refused = http.get(url_path, headers={"Range": bad})
            assert refused.status_code == 416, bad
            assert refused.headers["content-range"] == f"bytes */{size}"

        head = http.head(url_path, headers={"Range": "bytes=0-9"})
        assert head.status_code == 206 and head.headers["content-length"] == "10" and head.content == b""
        etag = full.headers["etag"]
        assert http.get(url_path, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
        stale = http.get(url_path, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
        assert stale.status_code == 200 and stale.content == video


def test_only_videos_of_ledger_jobs_are_served(settings: Any, tmp_path: Path):
    running = seed_job(settings, "processing", progress=0.5)
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"not for you")
    foreign = seed_job(settings, "completed", video_path=outside)
    settings.videos_dir.mkdir(parents=True, exist_ok=True)
    (settings.videos_dir / "job_stray.mp4").write_bytes(sample_mp4(1))  # a file, but no ledger row
    with http_server(settings) as server, httpx.Client(base_url=server.base_url) as http:
        assert http.get("/videos/job_missing.mp4").status_code == 404
        assert http.get("/videos/job_stray.mp4").status_code == 404
        assert http.get(f"/videos/{running}.mp4").status_code == 409
        answer = http.get(f"/videos/{foreign}.mp4")
        assert answer.status_code == 404 and b"not for you" not in answer.content
        for sneaky in ("/videos/..%2Fjobs.sqlite.mp4", "/videos/%2e%2e%2fjobs.mp4",
                       "/videos/..%2F..%2Fetc%2Fpasswd.mp4", "/videos/job_x%00.mp4", "/videos/jobs.sqlite"):
            answer = http.get(sneaky)
            assert answer.status_code in (404, 405), (sneaky, answer.status_code)
            assert b"SQLite" not in answer.content


def test_token_guards_the_gallery_and_the_files(home: Path, tmp_path: Path, emulator: Any):
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_HTTP_TOKEN=TOKEN)
    job_id = seed_job(settings, "completed", progress=1.0, video=sample_mp4(1))
    with http_server(settings) as server, httpx.Client(base_url=server.base_url) as http:
        for path in ("/", "/api/jobs", f"/videos/{job_id}.mp4"):
            assert http.get(path).status_code == 401, path
            assert http.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401, path
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert http.get("/", headers=good).status_code == 200
        assert http.get("/api/jobs", headers=good).json()["jobs"][0]["job_id"] == job_id
        ranged = http.get(f"/videos/{job_id}.mp4", headers={**good, "Range": "bytes=100-199"})
        assert ranged.status_code == 206 and len(ranged.content) == 100


def test_gallery_refuses_a_foreign_host_header(settings: Any):
    with http_server(settings) as server, httpx.Client(base_url=server.base_url) as http:
        assert http.get("/", headers={"host": "evil.example"}).status_code == 421
        assert http.get("/api/jobs", headers={"host": "evil.example:80"}).status_code == 421
        assert http.get("/api/jobs", headers={"origin": "http://evil.example"}).status_code == 403
