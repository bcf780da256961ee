"""The offline provider through a real MCP session: no key, no network, a real talking video."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from talking_video_mcp.media.video import probe_video
from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import error_text, structured, upload, wait_for_job

pytestmark = pytest.mark.anyio


@pytest.fixture
def offline_settings(home: Path, tmp_path: Path) -> Any:
    """No cloud keys at all: what a fresh install sees."""
    return make_settings(home, tmp_path, "http://127.0.0.1:9", SEGMIND_API_KEY=None, UNIFICALLY_API_KEY=None,
                         TALKING_VIDEO_TIME_SCALE=1.0)


@pytest.fixture
async def offline(offline_settings: Any) -> Any:
    async with Client(build_server(offline_settings)) as client:
        yield client


async def first_preset(client: Any) -> dict[str, Any]:
    presets = structured(await client.call_tool("list_avatar_presets", {}))
    assert len(presets["presets"]) >= 3
    assert all(p["license"] for p in presets["presets"])
    return dict(presets["presets"][0])


async def wait_done(client: Any, job: dict[str, Any], limit_s: float = 120) -> dict[str, Any]:
    return await wait_for_job(client, job, limit_s=limit_s, wait_s=10)


async def test_local_is_the_default_and_lists_offline_voices(offline: Any):
    account = structured(await offline.call_tool("get_account", {}))
    assert account["default_model"] == "local"
    voices = structured(await offline.call_tool("list_voices", {"provider": "local", "limit": 100}))
    ids = {v["voice_id"] for v in voices["voices"]}
    assert "piper:en_US-joe-medium" in ids
    assert any(v.startswith("espeak:") for v in ids)
    assert all(v["language"] and v["gender"] for v in voices["voices"])
    german = structured(await offline.call_tool("list_voices", {"provider": "local", "language": "de"}))
    assert german["voices"] and all(v["language"].startswith("de") for v in german["voices"])


async def test_preset_and_script_make_a_talking_video(offline: Any):
    preset = await first_preset(offline)
    job = structured(await offline.call_tool("generate_talking_video", {
        "avatar_preset_id": preset["avatar_preset_id"],
        "script": "Hello, this is an offline test. The renderer runs on this machine, and it reports progress.",
        "voice_id": "espeak:en"}))
    assert job["model"] == "local"
    progress_seen: set[float] = set()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        progress_seen.add(progress)

    job = await wait_for_job(offline, job, limit_s=120, wait_s=20, progress_callback=on_progress)
    assert job["status"] == "completed", job
    info = probe_video(Path(job["video_path"]), decode_all=True)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and info.fps == 25
    assert info.duration_s > 1.0
    assert len({p for p in progress_seen if 0 < p < 1}) >= 2, progress_seen


async def test_user_photo_from_a_path_and_from_a_url(offline: Any, tmp_path: Path):
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread

    preset = await first_preset(offline)
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(Path(preset["image_path"]).read_bytes())
    job = await wait_done(offline, structured(await offline.call_tool("generate_talking_video", {
        "image": str(photo), "script": "From a local file.", "voice_id": "espeak:en"})))
    assert job["status"] == "completed", job
    with run_in_thread(EmulatorConfig()) as host:
        url = upload(host.base_url, photo.read_bytes(), "image/jpeg")
        job = await wait_done(offline, structured(await offline.call_tool("generate_talking_video", {
            "image": url, "script": "From a URL.", "voice_id": "espeak:en"})))
        assert job["status"] == "completed", job
        assert httpx.get(url).status_code == 200


async def test_cancel_stops_a_render_within_a_second_and_leaves_no_file(offline: Any, home: Path):
    preset = await first_preset(offline)
    long_script = " ".join(["This sentence keeps the renderer busy for a while."] * 12)
    job = structured(await offline.call_tool("generate_talking_video", {
        "avatar_preset_id": preset["avatar_preset_id"], "script": long_script, "voice_id": "espeak:en"}))
    deadline = time.monotonic() + 60
    while job["step"] != "render" or job["progress"] < 0.15:
        assert time.monotonic() < deadline, job
        job = structured(await offline.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 1}))
    started = time.monotonic()
    canceled = structured(await offline.call_tool("cancel_job", {"job_id": job["job_id"]}))
    assert canceled["status"] == "canceled"
    videos = home / "videos"
    while any(videos.iterdir()) and time.monotonic() - started < 1.0:
        await anyio.sleep(0.05)
    await anyio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    assert not list(videos.iterdir()), list(videos.iterdir())
    await anyio.sleep(1.0)
    assert not list(videos.iterdir())
    final = structured(await offline.call_tool("check_video_status", {"job_id": job["job_id"]}))
    assert final["status"] == "canceled" and final["video_path"] is None


async def test_offline_text_to_speech(offline: Any):
    job = await wait_done(offline, structured(await offline.call_tool("text_to_speech", {
        "text": "Guten Tag.", "voice_id": "espeak:de"})))
    assert job["status"] == "completed" and job["audio_path"].endswith(".wav")
    assert job["model"] == "local/tts"


async def test_a_photo_without_a_face_is_refused_before_a_job_is_made(offline: Any, tmp_path: Path):
    from tests.helpers import png_bytes

    (tmp_path / "blank.png").write_bytes(png_bytes(300, 300, face=False))
    result = await offline.call_tool("generate_talking_video", {
        "image": str(tmp_path / "blank.png"), "script": "Nobody here.", "voice_id": "espeak:en"})
    assert result.is_error and "image: No face found" in error_text(result), error_text(result)
    assert structured(await offline.call_tool("list_jobs", {}))["jobs"] == []


async def test_cloud_model_without_key_says_which_variable(offline: Any):
    result = await offline.call_tool("generate_talking_video", {"model": "segmind/heygen-avatar-iv",
                                                                "image": "https://example.com/a.png",
                                                                "script": "hi"})
    assert result.is_error and "SEGMIND_API_KEY" in error_text(result)
