"""Higgsfield through Unifically over a real MCP session against the emulator over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.emulator import FaultRule
from talking_video_mcp.media.video import probe_video
from tests.conftest import FAKE_UNIFICALLY_KEY
from tests.helpers import error_text, png_bytes, structured, upload, wait_for_job, wav_bytes

pytestmark = pytest.mark.anyio
SPEAK = "unifically/higgsfield-speak"


def posts(emulator: Any, endpoint: str) -> int:
    return int(emulator.stats()["endpoints"].get(f"unifically.{endpoint}", 0))


async def finish(client: Any, job: dict[str, Any], limit_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while job["status"] in ("queued", "processing") and time.monotonic() < deadline:
        job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 3}))
    return job


@pytest.fixture
def image_url(emulator: Any) -> str:
    return upload(emulator.base_url, png_bytes(), "image/png")


async def first_voice(client: Any) -> str:
    voices = structured(await client.call_tool("list_voices", {"provider": "unifically", "limit": 1}))
    return str(voices["voices"][0]["voice_id"])


async def test_script_runs_tts_then_speak_as_one_job(client: Any, emulator: Any, image_url: str):
    voice = await first_voice(client)
    job = structured(await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "script": "Hello from Higgsfield.", "voice_id": voice}))
    steps = {job["step"]}
    while job["status"] in ("queued", "processing"):
        job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 1}))
        steps.add(job["step"])
    assert job["status"] == "completed", job
    video = Path(job["video_path"])
    info = probe_video(video, decode_all=True)
    assert info.frames > 0 and info.video_codec == "h264" and info.duration_s > 0
    assert video.read_bytes() == httpx.get(job["video_url"]).content  # the provider's video, whole
    assert posts(emulator, "tts") == 1 and posts(emulator, "speak") == 1
    assert steps & {"tts_submit", "tts_poll", "submit", "poll", "download"}


async def test_audio_url_and_audio_task_id(client: Any, emulator: Any, image_url: str):
    audio = upload(emulator.base_url, wav_bytes(3.0), "audio/wav")
    job = await finish(client, structured(await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "audio": audio})))
    assert job["status"] == "completed", job

    tts = await finish(client, structured(await client.call_tool("text_to_speech", {
        "provider": "unifically", "text": "Reusable speech.", "voice_id": await first_voice(client)})))
    assert tts["status"] == "completed", tts
    assert tts["audio_task_id"] and Path(tts["audio_path"]).suffix == ".wav"
    job = await finish(client, structured(await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "audio_task_id": tts["audio_task_id"]})))
    assert job["status"] == "completed", job


async def test_audio_and_audio_task_id_together_is_refused(client: Any, emulator: Any, image_url: str):
    audio = upload(emulator.base_url, wav_bytes(2.0), "audio/wav")
    result = await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "audio": audio, "audio_task_id": "8e93f884-31d1-478d-92f6-ffc7ff1e868f"})
    assert result.is_error and "exactly one" in error_text(result)
    assert posts(emulator, "speak") == 0 and posts(emulator, "tts") == 0


async def test_quality_mid_lists_the_allowed_values(client: Any, emulator: Any, image_url: str):
    result = await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "audio_task_id": "x", "options": {"quality": "mid"}})
    assert result.is_error
    assert "basic" in error_text(result) and "high" in error_text(result)
    assert posts(emulator, "speak") == 0


async def test_voice_paging_visits_every_voice_once(client: Any, emulator: Any):
    raw = httpx.get(f"{emulator.base_url}/higgsfield/tpl/voices", params={"size": 100},
                    headers={"authorization": f"Bearer {FAKE_UNIFICALLY_KEY}"}).json()
    total = raw.get("total") or len(raw.get("items", raw))
    seen: list[str] = []
    cursor = None
    while True:
        args: dict[str, Any] = {"provider": "unifically", "limit": 5}
        if cursor:
            args["cursor"] = cursor
        page = structured(await client.call_tool("list_voices", args))
        assert len(page["voices"]) <= 5
        seen.extend(v["voice_id"] for v in page["voices"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == total
    name = page["voices"][0]["name"] if page["voices"] else None
    assert name
    found = structured(await client.call_tool("list_voices", {"provider": "unifically", "search": name[:4]}))
    assert found["voices"] and all(name[:4].lower() in v["name"].lower() for v in found["voices"])


async def test_merged_lists_say_which_provider(client: Any):
    voices = structured(await client.call_tool("list_voices", {"limit": 100}))
    assert {"segmind", "unifically"} <= {v["provider"] for v in voices["voices"]}
    presets = structured(await client.call_tool("list_avatar_presets", {"provider": "unifically", "limit": 3}))
    assert presets["presets"] and all(p["provider"] == "unifically" for p in presets["presets"])


@pytest.mark.parametrize("variant", ["lite", "standard", "turbo"])
async def test_image_to_video_with_a_motion(client: Any, image_url: str, variant: str):
    motions = structured(await client.call_tool("list_motions", {"limit": 3}))
    motion = motions["motions"][0]["motion_id"]
    job = structured(await client.call_tool("generate_video_from_image", {
        "image": image_url, "prompt": "slow zoom in", "model": variant, "motion_id": motion}))
    job = await finish(client, job)
    assert job["status"] == "completed", job
    assert job["kind"] == "image_video"


async def test_unknown_motion_is_reported(client: Any, emulator: Any, image_url: str):
    result = await client.call_tool("generate_video_from_image", {
        "image": image_url, "prompt": "zoom", "motion_id": "00000000-0000-0000-0000-000000000000"})
    assert result.is_error and "motion_id" in error_text(result) and "list_motions" in error_text(result)
    assert posts(emulator, "generate") == 0


async def test_code_400_while_processing_keeps_the_job_processing(client: Any, emulator: Any, image_url: str):
    emulator.add_fault(FaultRule(endpoint="unifically.feed", fault="code400-processing", times=3))
    job = structured(await client.call_tool("generate_video_from_image", {"image": image_url, "prompt": "wave"}))
    job = await finish(client, job)
    assert job["status"] == "completed", job
    stats = emulator.stats()
    assert stats["faults_fired"] == {"unifically.feed": {"code400-processing": 3}}  # all three answered, all survived
    assert posts(emulator, "generate") == 1


async def test_product_ad_completes(client: Any, image_url: str):
    job = structured(await client.call_tool("generate_product_ad", {
        "product_placement_sample_id": "sample-123", "images": [image_url]}))
    job = await finish(client, job)
    assert job["status"] == "completed", job
    assert job["kind"] == "product_ad"


async def test_account_shows_both_balances_and_relative_costs(client: Any):
    account = structured(await client.call_tool("get_account", {}))
    balances = {p["provider"]: p["balance"] for p in account["providers"]}
    assert balances["segmind"] is not None and balances["unifically"] is not None
    # Higgsfield's relative costs (talking 10×, ad 2.6×, lite 1×, standard 2×, turbo 1.4×) × the unit price.
    prices = {(r["model"], r["option"]): r["price_usd"] for r in account["prices"]}
    unit = 0.05
    assert prices[(SPEAK, "per job")] == 10 * unit and prices[("unifically/higgsfield-ads", "per job")] == 2.6 * unit
    assert {prices[("unifically/higgsfield-generate", f"model={v}")] for v in ("lite", "standard", "turbo")} == {
        round(f * unit, 4) for f in (1.0, 2.0, 1.4)}


async def test_local_files_are_refused_without_upload_endpoint(client: Any, tmp_path: Path, emulator: Any):
    photo = tmp_path / "me.png"
    photo.write_bytes(png_bytes())
    result = await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": str(photo), "audio_task_id": "abc"})
    assert result.is_error and "upload" in error_text(result) and "URL" in error_text(result)
    assert posts(emulator, "speak") == 0


async def test_every_speak_and_tts_option_reaches_the_wire(client: Any, emulator: Any, image_url: str):
    voice = await first_voice(client)
    speech = structured(await client.call_tool("text_to_speech", {
        "provider": "unifically", "text": "Options, all of them.", "voice_id": voice,
        "options": {"similarity_boost": 80, "style": 40, "speed": 0.9, "stability": 55}}))
    speech = await wait_for_job(client, speech, wait_s=1)
    assert speech["status"] == "completed", speech
    job = structured(await client.call_tool("generate_talking_video", {
        "model": SPEAK, "image": image_url, "audio_task_id": speech["job_id"], "prompt": "a warm smile", "seed": 9,
        "options": {"quality": "high", "enhance_prompt": False}}))
    assert (await wait_for_job(client, job, wait_s=1))["status"] == "completed"
    sent = {j["endpoint"].rsplit(".", 1)[-1]: j["input"] for j in emulator.stats()["jobs"].values()}
    assert set(sent) >= {"tts", "speak"}, emulator.stats()["jobs"]
    assert {k: sent["tts"][k] for k in ("similarity_boost", "style", "speed", "stability")} == {
        "similarity_boost": 80, "style": 40, "speed": 0.9, "stability": 55}
    assert {k: sent["speak"][k] for k in ("quality", "enhance_prompt", "prompt", "seed")} == {
        "quality": "high", "enhance_prompt": False, "prompt": "a warm smile", "seed": 9}
