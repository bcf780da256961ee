"""text_to_speech's result is the audio of the next video, as its next_step says, with the default allowed
roots: its audio_path (a file in the server's own videos folder, outside the user's folders here) and its
job_id as audio_task_id both lead to a completed video, offline and through the providers' emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.server import build_server
from talking_video_mcp.settings import Settings
from tests.conftest import make_settings
from tests.helpers import error_text, png_bytes, structured, upload, wait_for_job

pytestmark = pytest.mark.anyio
SPEAK = "unifically/higgsfield-speak"
S2V = "segmind/higgsfield-speech2video"


@pytest.fixture
def default_roots(home: Path, tmp_path: Path, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """TALKING_VIDEO_ALLOWED_ROOTS unset: the user's home folder, which does not hold TALKING_VIDEO_HOME."""
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("HOME", str(user))
    settings = make_settings(home, tmp_path, emulator.base_url)
    settings = settings.model_copy(update={"allowed_roots": Settings.model_fields["allowed_roots"].get_default(
        call_default_factory=True)})
    assert settings.allowed_roots == [user] and not settings.videos_dir.is_relative_to(user)
    return settings


@pytest.fixture
async def client(default_roots: Settings) -> Any:
    async with Client(build_server(default_roots)) as session:
        yield session


async def speech(client: Any, **args: Any) -> dict[str, Any]:
    job = await wait_for_job(client, structured(await client.call_tool("text_to_speech", args)), limit_s=60, wait_s=3)
    assert job["status"] == "completed" and job["kind"] == "speech", job
    assert Path(job["audio_path"]).is_file()
    return job


async def test_offline_speech_by_path_and_by_job_id_makes_a_local_video(client: Any, default_roots: Settings):
    said = await speech(client, text="Hello, this speech was made first.", provider="local", voice_id="espeak:en")
    assert Path(said["audio_path"]).parent == default_roots.videos_dir
    by_path = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "audio": said["audio_path"]}))
    video = await wait_for_job(client, by_path, limit_s=120, wait_s=10)
    assert video["status"] == "completed" and Path(video["video_path"]).is_file(), video
    # The job id stands for the same file: the request shown carries the speech job's audio.
    by_id = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "audio_task_id": said["job_id"],
        "dry_run": True}))
    assert by_id["request"]["inputs"]["audio"] == said["audio_path"]


async def test_cloud_speech_by_job_id_and_by_path_makes_cloud_videos(client: Any, emulator: Any):
    voices = structured(await client.call_tool("list_voices", {"provider": "unifically", "limit": 1}))
    said = await speech(client, text="Hello from the cloud voice.", provider="unifically",
                        voice_id=voices["voices"][0]["voice_id"])
    image = upload(emulator.base_url, png_bytes(), "image/png")
    # Speak takes the provider's speech task: the ledger's job id is translated to it (the emulator, as
    # Unifically, refuses a task id it did not make).
    assert said["audio_task_id"] and said["audio_task_id"] != said["job_id"]
    spoken = structured(await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image, "audio_task_id": said["job_id"]}))
    spoken = await wait_for_job(client, spoken, limit_s=60, wait_s=3)
    assert spoken["status"] == "completed" and Path(spoken["video_path"]).is_file(), spoken
    # Speech2Video takes a file: the speech job's audio_path, from the server's own videos folder.
    s2v = structured(await client.call_tool("generate_talking_video", {
        "model": S2V, "avatar_preset_id": "local:grace_hopper", "audio": said["audio_path"], "duration": 5}))
    s2v = await wait_for_job(client, s2v, limit_s=60, wait_s=3)
    assert s2v["status"] == "completed" and Path(s2v["video_path"]).is_file(), s2v


async def test_a_job_id_that_is_not_finished_speech_is_refused_before_anything_is_sent(client: Any, emulator: Any):
    said = await speech(client, text="Short and done.", provider="local", voice_id="espeak:en")
    video = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "audio": said["audio_path"]}))
    refused = await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "audio_task_id": video["job_id"]})
    assert refused.is_error and error_text(refused).startswith(
        f"audio_task_id: job {video['job_id']} made a talking video, not speech;"), error_text(refused)
    await client.call_tool("cancel_job", {"job_id": video["job_id"]})
    offline = await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": upload(emulator.base_url, png_bytes(), "image/png"), "audio_task_id": said["job_id"]})
    assert error_text(offline) == (
        f"audio_task_id: job {said['job_id']} was spoken offline and {SPEAK} takes speech only as a public https "
        "URL or a text_to_speech job of provider='unifically'."), error_text(offline)
    # A speech job still under way (its paid submit hangs) and one that failed are refused too.
    voices = structured(await client.call_tool("list_voices", {"provider": "unifically", "limit": 1}))
    voice = voices["voices"][0]["voice_id"]
    emulator.add_fault("unifically.tts:timeout")
    running = structured(await client.call_tool("text_to_speech", {
        "text": "Still being spoken.", "provider": "unifically", "voice_id": voice}))
    image = upload(emulator.base_url, png_bytes(), "image/png")
    before = len(emulator.requests())
    for model in ("local", S2V, SPEAK):
        refused = await client.call_tool("generate_talking_video", {
            "model": model, "image": image, "audio_task_id": running["job_id"]})
        assert refused.is_error and f"text_to_speech job {running['job_id']} is " in error_text(refused), model
        assert "not completed yet" in error_text(refused), error_text(refused)
    emulator.add_fault("unifically.tts:fail")
    failed = await wait_for_job(client, structured(await client.call_tool("text_to_speech", {
        "text": "This one fails.", "provider": "unifically", "voice_id": voice})), limit_s=30, wait_s=2)
    assert failed["status"] == "failed", failed
    refused = await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image, "audio_task_id": failed["job_id"]})
    assert error_text(refused) == (f"audio_task_id: text_to_speech job {failed['job_id']} ended failed without "
                                   "audio; make the speech again with text_to_speech.")
    unknown = await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "audio_task_id": "job_0000000000000000"})
    assert error_text(unknown).startswith("audio_task_id: 'job_0000000000000000' is not a job of this server;")
    sent = [r["endpoint"] for r in emulator.requests()[before:]]
    assert "unifically.speak" not in sent and "segmind.submit" not in sent and "segmind.upload" not in sent, sent
