"""Segmind jobs over a real MCP session against the emulator over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from talking_video_mcp.emulator import FaultRule
from talking_video_mcp.media.video import probe_video
from tests.helpers import error_text, png_bytes, segmind_submits, structured, upload, wav_bytes

pytestmark = pytest.mark.anyio


@pytest.fixture
def media(emulator: Any) -> dict[str, str]:
    return {
        "image": upload(emulator.base_url, png_bytes(), "image/png"),
        "audio": upload(emulator.base_url, wav_bytes(4.0), "audio/wav"),
    }


async def wait_final(client: Any, job_id: str, limit_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while True:
        job = structured(await client.call_tool("check_video_status", {"job_id": job_id, "wait_seconds": 5}))
        if job["status"] not in ("queued", "processing") or time.monotonic() > deadline:
            return job


def s2v_args(media: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"model": "segmind/higgsfield-speech2video", "image": media["image"], "audio": media["audio"],
            "duration": 5, "options": {"quality": "mid"}, **extra}


def avatar_args(media: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"model": "segmind/heygen-avatar-iv", "image": media["image"], "script": "Hello there, welcome.",
            "voice_id": "Nova", **extra}


@pytest.mark.parametrize("kind", ["speech2video", "avatar"])
async def test_job_completes_and_video_is_downloaded(client: Any, emulator: Any, media: dict[str, str], kind: str):
    args = s2v_args(media) if kind == "speech2video" else avatar_args(media)
    job = structured(await client.call_tool("generate_talking_video", args))
    assert job["status"] in ("queued", "processing")
    assert job["cost_estimate_usd"] > 0
    seen = {job["status"]}
    deadline = time.monotonic() + 60
    while job["status"] in ("queued", "processing") and time.monotonic() < deadline:
        job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 2}))
        seen.add(job["status"])
    assert job["status"] == "completed", job
    assert seen & {"queued", "processing"}
    path = Path(job["video_path"])
    assert path.name == f"{job['job_id']}.mp4" and path.parent.name == "videos"
    info = probe_video(path, decode_all=True)
    assert info.frames > 0 and info.video_codec == "h264"
    assert job["video_url"].startswith(emulator.base_url)
    assert segmind_submits(emulator.stats()) == 1


BAD_INPUTS = [
    ({"seed": 0}, "seed"),
    ({"seed": 1000001}, "seed"),
    ({"duration": 7}, "duration"),
    ({"options": {"quality": "ultra"}}, "quality"),
    ({"image": None}, "image"),
    ({"audio": None}, "audio"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS)
async def test_bad_input_is_a_tool_error_and_spends_nothing(
    client: Any, emulator: Any, media: dict[str, str], change: dict[str, Any], field: str
):
    args = {k: v for k, v in {**s2v_args(media), **change}.items() if v is not None}
    result = await client.call_tool("generate_talking_video", args)
    assert result.is_error
    text = error_text(result)
    assert field in text
    assert "Traceback" not in text
    assert segmind_submits(emulator.stats()) == 0


async def test_allowed_values_are_named(client: Any, media: dict[str, str]):
    text = error_text(await client.call_tool("generate_talking_video", s2v_args(media, duration=7)))
    assert "5" in text and "10" in text and "15" in text
    text = error_text(await client.call_tool("generate_talking_video", s2v_args(media, options={"quality": "ultra"})))
    assert "high" in text and "mid" in text
    text = error_text(await client.call_tool("generate_talking_video", s2v_args(media, seed=0)))
    assert text.startswith("seed: 0 is below the minimum of 1;") and "from 1 to 1,000,000" in text
    text = error_text(await client.call_tool("generate_talking_video", s2v_args(media, seed=1_000_001)))
    assert text.startswith("seed: 1000001 is above the maximum of 1,000,000;") and "from 1 to 1,000,000" in text


async def test_non_hex_voice_id_is_refused(client: Any, emulator: Any, media: dict[str, str]):
    result = await client.call_tool("generate_talking_video", avatar_args(media, voice_id="not-a-voice!"))
    assert result.is_error
    assert "voice_id" in error_text(result) and "hex" in error_text(result)
    assert segmind_submits(emulator.stats()) == 0


async def test_hex_voice_id_is_accepted(client: Any, emulator: Any, media: dict[str, str]):
    job = structured(await client.call_tool(
        "generate_talking_video", avatar_args(media, voice_id="0123456789abcdef0123456789abcdef")
    ))
    assert job["status"] in ("queued", "processing")


@pytest.mark.parametrize("fault", ["429", "502"])
async def test_status_faults_are_retried(client: Any, emulator: Any, media: dict[str, str], fault: str):
    emulator.add_fault(FaultRule(endpoint="segmind.status", fault=fault, times=1))
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    job = await wait_final(client, job["job_id"])
    assert job["status"] == "completed", job
    stats = emulator.stats()
    assert segmind_submits(stats) == 1
    assert stats["faults_fired"] == {"segmind.status": {fault: 1}}  # the armed fault, once, and it was retried
    assert stats["status_codes"]["segmind.status"][fault] == 1 and stats["status_codes"]["segmind.status"]["200"] >= 1


@pytest.mark.parametrize("fault", ["timeout", "drop-after-commit"])
async def test_submit_network_failure_is_submit_unknown_and_never_resent(
    client: Any, emulator: Any, media: dict[str, str], fault: str
):
    emulator.add_fault(FaultRule(endpoint="segmind.submit", fault=fault, times=1))
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    job = await wait_final(client, job["job_id"], limit_s=30)
    assert job["status"] == "submit_unknown", job
    assert "not sent again" in job["error"]
    await anyio.sleep(1.0)
    assert segmind_submits(emulator.stats()) == 1


async def test_provider_failure_is_failed_with_reason(client: Any, emulator: Any, media: dict[str, str]):
    emulator.add_fault(FaultRule(endpoint="segmind.status", fault="fail", times=1))
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    job = await wait_final(client, job["job_id"])
    assert job["status"] == "failed"
    assert "FAILED" in job["error"] and len(job["error"]) > 30


async def test_expired_record_is_expired(client: Any, emulator: Any, media: dict[str, str]):
    emulator.add_fault(FaultRule(endpoint="segmind.status", fault="expire", times=1))
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    job = await wait_final(client, job["job_id"])
    assert job["status"] == "expired"


async def test_wait_seconds_is_bounded_and_reports_progress(client: Any, media: dict[str, str]):
    job = structured(await client.call_tool("generate_talking_video", avatar_args(media, seed=None)))
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    started = time.monotonic()
    await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 5},
                           progress_callback=on_progress)
    assert time.monotonic() - started < 7
    assert updates, "no progress notifications"
    assert all(0 <= p <= 1 for p, _, _ in updates)


async def test_unknown_job_is_a_clear_error(client: Any):
    result = await client.call_tool("check_video_status", {"job_id": "job_nope"})
    assert result.is_error and "list_jobs" in error_text(result)


async def test_list_jobs_and_account(client: Any, emulator: Any, media: dict[str, str]):
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    listed = structured(await client.call_tool("list_jobs", {}))
    assert job["job_id"] in [j["job_id"] for j in listed["jobs"]]
    account = structured(await client.call_tool("get_account", {}))
    segmind = next(p for p in account["providers"] if p["provider"] == "segmind")
    assert segmind["configured"] and segmind["balance"] is not None
    voices = structured(await client.call_tool("list_voices", {"provider": "segmind"}))
    assert {"Onyx", "Nova"} <= {v["name"] for v in voices["voices"]}


async def test_insufficient_credits_fails_with_the_balance(client: Any, emulator: Any, media: dict[str, str]):
    from tests.conftest import FAKE_SEGMIND_KEY

    emulator.set_balance("segmind", FAKE_SEGMIND_KEY, 0.5)
    job = structured(await client.call_tool("generate_talking_video", s2v_args(media)))
    job = await wait_final(client, job["job_id"])
    assert job["status"] == "failed"
    assert "insufficient credits" in job["error"].lower() and "balance: 0.5" in job["error"]
    assert "Nothing was charged" in job["error"]


def _only_job_input(emulator: Any) -> dict[str, Any]:
    jobs = list(emulator.stats()["jobs"].values())
    assert len(jobs) == 1, jobs
    return dict(jobs[0]["input"])


async def test_every_speech2video_option_reaches_the_wire(client: Any, emulator: Any, media: dict[str, str]):
    job = structured(await client.call_tool("generate_talking_video", s2v_args(
        media, duration=10, seed=7, prompt="calm and friendly", options={"quality": "high", "enhance_prompt": True})))
    assert (await wait_final(client, job["job_id"]))["status"] == "completed"
    sent = _only_job_input(emulator)
    assert {k: sent[k] for k in ("quality", "enhance_prompt", "duration", "seed", "prompt")} == {
        "quality": "high", "enhance_prompt": True, "duration": 10, "seed": 7, "prompt": "calm and friendly"}


async def test_every_avatar_option_and_common_argument_reaches_the_wire(client: Any, emulator: Any,
                                                                       media: dict[str, str]):
    job = structured(await client.call_tool("generate_talking_video", avatar_args(
        media, prompt="subtle hand gestures", aspect_ratio="9:16", resolution="720p",
        options={"video_title": "Team hello", "fit": "contain", "enhance_custom_motion_prompt": True})))
    assert (await wait_final(client, job["job_id"]))["status"] == "completed"
    sent = _only_job_input(emulator)
    assert {k: sent[k] for k in ("video_title", "fit", "enhance_custom_motion_prompt", "custom_motion_prompt",
                                 "video_orientation", "resolution")} == {
        "video_title": "Team hello", "fit": "contain", "enhance_custom_motion_prompt": True,
        "custom_motion_prompt": "subtle hand gestures", "video_orientation": "portrait", "resolution": "720p"}


async def test_avatar_default_voice_is_shown_in_the_job_view(client: Any, emulator: Any, media: dict[str, str]):
    args = avatar_args(media)
    del args["voice_id"]
    job = structured(await client.call_tool("generate_talking_video", args))
    assert job["status"] in ("queued", "processing")
    assert (await wait_final(client, job["job_id"]))["status"] == "completed"
    used = _only_job_input(emulator)["voice_id"]
    assert used and job["voice_id"] == used


@pytest.mark.parametrize(("speech", "duration", "price"), [
    ({"audio_seconds": 3.0}, 5, 1.43),     # a 3 s recording: 5 s, not the 10 s it used to get ($2.86)
    ({"audio_seconds": 12.0}, 15, 4.22),   # 12 s only fits in 15 s
    ({"script": "Hello and welcome."}, 5, 1.43),  # the 2.5 s script: 5 s
])
async def test_speech2video_duration_defaults_to_the_shortest_that_holds_the_speech(
        client: Any, emulator: Any, media: dict[str, str], speech: dict[str, Any], duration: int, price: float):
    args: dict[str, Any] = {"model": "segmind/higgsfield-speech2video", "image": media["image"], "dry_run": True}
    if "script" in speech:
        args["script"] = speech["script"]
    else:
        args["audio"] = upload(emulator.base_url, wav_bytes(speech["audio_seconds"]), "audio/wav")
    view = structured(await client.call_tool("generate_talking_video", args))
    assert view["request"]["payload"]["duration"] == duration, view["request"]
    assert view["cost_estimate_usd"] == pytest.approx(price)
    # Named, the duration is kept even when a shorter one would hold the speech.
    named = structured(await client.call_tool("generate_talking_video", {**args, "duration": 15}))
    assert named["request"]["payload"]["duration"] == 15
