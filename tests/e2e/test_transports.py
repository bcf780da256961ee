"""The server as users run it: a subprocess over stdio and over streamable HTTP, killed and restarted."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.media.video import probe_video
from tests.conftest import env_for, make_settings
from tests.helpers import png_bytes, segmind_submits, structured, upload
from tests.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SIX_TOOLS = {"generate_talking_video", "check_video_status", "list_voices", "list_avatar_presets", "list_jobs",
             "get_account"}


@pytest.fixture
def slow_emulator() -> Iterator[Any]:
    with run_in_thread(EmulatorConfig(speed=20.0)) as emu:
        yield emu


async def test_stdio_lists_tools_with_provider_schemas(settings: Any):
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "talking_video_mcp", "serve"],
                                   env=env_for(settings))
    async with Client(params) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= SIX_TOOLS
    props = tools["generate_talking_video"].input_schema["properties"]

    def schema_of(name: str) -> dict[str, Any]:
        prop = props[name]
        return next((alt for alt in prop.get("anyOf", []) if alt.get("type") != "null"), prop)

    assert schema_of("duration")["minimum"] == 1
    assert schema_of("seed")["minimum"] == 1 and schema_of("seed")["maximum"] == 1_000_000
    assert schema_of("model")["type"] == "string"  # its values: list_models
    assert set(schema_of("aspect_ratio")["enum"]) == {"16:9", "9:16", "1:1"}
    assert schema_of("options")["type"] == "object"
    for name in ("voice_id", "prompt", "resolution", "audio", "image"):
        assert name in props
    assert "list_models" in tools
    assert tools["check_video_status"].annotations.read_only_hint is True
    assert tools["generate_talking_video"].output_schema is not None


async def test_http_transport_runs_a_whole_job(settings: Any, emulator: Any, tmp_path: Path):
    from mcp import Client

    server = ServerProcess(env_for(settings), tmp_path / "server.log")
    try:
        async with Client(server.url) as client:
            assert {t.name for t in (await client.list_tools()).tools} >= SIX_TOOLS
            image = upload(emulator.base_url, png_bytes(), "image/png")
            job = structured(await client.call_tool("generate_talking_video", {
                "model": "segmind/heygen-avatar-iv", "image": image, "script": "Hi from HTTP."}))
            while job["status"] in ("queued", "processing"):
                job = structured(await client.call_tool(
                    "check_video_status", {"job_id": job["job_id"], "wait_seconds": 5}))
        assert job["status"] == "completed", job
        video = Path(job["video_path"])
        info = probe_video(video, decode_all=True)
        assert info.frames > 0 and info.video_codec == "h264" and info.duration_s > 0
        assert video.read_bytes() == httpx.get(job["video_url"]).content  # the provider's video, whole
    finally:
        server.stop()


async def test_http_refuses_foreign_host_header(settings: Any, tmp_path: Path):
    server = ServerProcess(env_for(settings), tmp_path / "server.log")
    try:
        response = httpx.post(server.url, headers={"host": "evil.example:80", "content-type": "application/json",
                                                   "accept": "application/json, text/event-stream"},
                              json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert response.status_code in (400, 403, 421)
    finally:
        server.stop()


async def test_sigkill_mid_job_then_a_new_process_finishes_it(slow_emulator: Any, home: Path, tmp_path: Path):
    from mcp import Client

    settings = make_settings(home, tmp_path, slow_emulator.base_url, TALKING_VIDEO_TIME_SCALE=20.0)
    env = env_for(settings)
    image = upload(slow_emulator.base_url, png_bytes(), "image/png")
    first = ServerProcess(env, tmp_path / "first.log")
    try:
        async with Client(first.url) as client:
            job = structured(await client.call_tool("generate_talking_video", {
                "model": "segmind/heygen-avatar-iv", "image": image, "script": "Survive a crash."}))
            deadline = time.monotonic() + 20
            while job["status"] != "processing" or job["step"] != "poll":
                assert time.monotonic() < deadline, job
                job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"],
                                                                                 "wait_seconds": 1}))
    finally:
        first.kill()
    assert job["status"] == "processing"
    second = ServerProcess(env, tmp_path / "second.log")
    try:
        async with Client(second.url) as client:
            again = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"]}))
            assert again["job_id"] == job["job_id"]
            while again["status"] in ("queued", "processing"):
                again = structured(await client.call_tool(
                    "check_video_status", {"job_id": job["job_id"], "wait_seconds": 10}))
        assert again["status"] == "completed", again
        assert Path(again["video_path"]).exists()
        assert segmind_submits(slow_emulator.stats()) == 1
    finally:
        second.stop()
    assert os.path.getsize(again["video_path"]) > 0
