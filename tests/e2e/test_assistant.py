"""The assistant's experience: local files, pre-spend checks, spend guard, idempotency, resources, prompts."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp.types as mt
import numpy as np
import pytest
from mcp import Client

from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import error_text, png_bytes, segmind_submits, structured, upload, wav_bytes

pytestmark = pytest.mark.anyio
S2V = "segmind/higgsfield-speech2video"


def mp3_bytes(seconds: float = 3.0, rate: int = 44100) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate)
        stream.layout = "mono"
        t = np.arange(int(seconds * rate)) / rate
        samples = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for start in range(0, len(samples), 1152):
            frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1152], format="flt", layout="mono")
            frame.rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def ledger_job(home: Path, job_id: str) -> Any:
    store = JobStore(home / "jobs.sqlite")
    try:
        return store.get(job_id)
    finally:
        store.close()


async def run_to_end(client: Any, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(30):
        if job["status"] not in ("queued", "processing"):
            break
        job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 3}))
    return job


async def test_local_image_is_uploaded_once_and_submitted_by_url(
    client: Any, emulator: Any, tmp_path: Path, home: Path
):
    photo = tmp_path / "photos" / "me.png"
    photo.parent.mkdir()
    photo.write_bytes(png_bytes())
    audio = upload(emulator.base_url, wav_bytes(3.0), "audio/wav")
    job = structured(await client.call_tool("generate_talking_video", {
        "model": S2V, "image": str(photo), "audio": audio, "duration": 5}))
    job = await run_to_end(client, job)
    assert job["status"] == "completed", job
    stats = emulator.stats()
    assert stats["endpoints"]["segmind.upload"] == 2  # one by the test (audio fixture), one by the server
    record = ledger_job(home, job["job_id"])
    uploaded = record.state["uploaded"]["input_image"]
    assert uploaded.startswith(emulator.base_url)
    assert httpx.get(uploaded).content == photo.read_bytes()
    assert stats["jobs"][record.state["request_id"]]["input"]["input_image"] == uploaded


@pytest.mark.parametrize("target", ["../../etc/passwd", "escape-link", "/dev/zero"])
async def test_paths_outside_the_roots_are_refused_without_network(
    client: Any, emulator: Any, tmp_path: Path, target: str
):
    if target == "escape-link":
        link = tmp_path / "escape-link"
        link.symlink_to("/etc/hostname")
        target = str(link)
    audio = tmp_path / "a.wav"
    audio.write_bytes(wav_bytes(2.0))
    result = await client.call_tool("generate_talking_video", {"model": S2V, "image": target, "audio": str(audio)})
    assert result.is_error
    # The reason must be where the file is, not what it holds (/etc/hostname is no photo either).
    assert "image: " in error_text(result) and "outside the folders this server may read" in error_text(result)
    assert emulator.stats()["requests_total"] == 0


async def test_mp3_is_sent_to_speak_v2_as_wav(client: Any, emulator: Any, tmp_path: Path, home: Path):
    (tmp_path / "talk.mp3").write_bytes(mp3_bytes(3.0))
    (tmp_path / "face.png").write_bytes(png_bytes())
    job = structured(await client.call_tool("generate_talking_video", {
        "model": S2V, "image": str(tmp_path / "face.png"), "audio": str(tmp_path / "talk.mp3"), "duration": 5}))
    job = await run_to_end(client, job)
    assert job["status"] == "completed", job
    sent = ledger_job(home, job["job_id"]).state["uploaded"]["input_audio"]
    body = httpx.get(sent).content
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"


async def test_audio_longer_than_the_duration_is_refused_before_spending(client: Any, emulator: Any, tmp_path: Path):
    (tmp_path / "long.wav").write_bytes(wav_bytes(12.0))
    (tmp_path / "face.png").write_bytes(png_bytes())
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "image": str(tmp_path / "face.png"), "audio": str(tmp_path / "long.wav"), "duration": 10})
    assert result.is_error
    text = error_text(result)
    assert "12.0 s" in text and "duration" in text and "15" in text
    assert segmind_submits(emulator.stats()) == 0


async def test_silent_audio_is_refused(client: Any, emulator: Any, tmp_path: Path):
    (tmp_path / "silence.wav").write_bytes(wav_bytes(3.0, silent=True))
    (tmp_path / "face.png").write_bytes(png_bytes())
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "image": str(tmp_path / "face.png"), "audio": str(tmp_path / "silence.wav")})
    assert result.is_error and "silent" in error_text(result)
    assert segmind_submits(emulator.stats()) == 0


@pytest.fixture
def budget_settings(home: Path, tmp_path: Path, emulator: Any) -> Any:
    return make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DAILY_BUDGET_USD=1.0)


def expensive_args(emulator: Any) -> dict[str, Any]:
    return {"model": S2V, "image": upload(emulator.base_url, png_bytes(), "image/png"),
            "audio": upload(emulator.base_url, wav_bytes(4.0), "audio/wav"), "options": {"quality": "high"},
            "duration": 15}


async def test_spend_guard_refuses_with_the_estimate(budget_settings: Any, emulator: Any):
    async with Client(build_server(budget_settings)) as client:
        result = await client.call_tool("generate_talking_video", expensive_args(emulator))
    assert result.is_error
    assert "$4.22" in error_text(result) and "TALKING_VIDEO_DAILY_BUDGET_USD" in error_text(result)
    assert segmind_submits(emulator.stats()) == 0


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_spend_guard_asks_through_elicitation(budget_settings: Any, emulator: Any, action: str):
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> mt.ElicitResult:
        asked.append(params.message)
        return mt.ElicitResult(action=action, content={"approve": True} if action == "accept" else None)

    async with Client(build_server(budget_settings), elicitation_callback=answer) as client:
        result = await client.call_tool("generate_talking_video", expensive_args(emulator))
        if action == "accept":
            job = await run_to_end(client, structured(result))
            assert job["status"] == "completed"
            assert segmind_submits(emulator.stats()) == 1
        else:
            assert result.is_error and "declined" in error_text(result)
            await anyio.sleep(0.3)
            assert segmind_submits(emulator.stats()) == 0
    assert asked and "$4.22" in asked[0]


async def test_same_request_twice_is_one_job_unless_forced(client: Any, emulator: Any):
    args = {"model": "segmind/heygen-avatar-iv", "image": upload(emulator.base_url, png_bytes(), "image/png"),
            "script": "Only once, please."}
    first = structured(await client.call_tool("generate_talking_video", args))
    second = structured(await client.call_tool("generate_talking_video", args))
    assert second["job_id"] == first["job_id"] and second["reused_existing_job"]
    await run_to_end(client, first)
    assert segmind_submits(emulator.stats()) == 1
    third = structured(await client.call_tool("generate_talking_video", {**args, "force_new": True}))
    assert third["job_id"] != first["job_id"]
    await run_to_end(client, third)
    assert segmind_submits(emulator.stats()) == 2
    keyed = structured(await client.call_tool("generate_talking_video", {**args, "idempotency_key": "k-1",
                                                                        "force_new": True}))
    again = structured(await client.call_tool("generate_talking_video", {**args, "idempotency_key": "k-1",
                                                                        "force_new": True}))
    assert keyed["job_id"] == again["job_id"]


async def test_dry_run_estimates_and_spends_nothing(client: Any, emulator: Any):
    result = structured(await client.call_tool("generate_talking_video", {**expensive_args(emulator),
                                                                          "dry_run": True}))
    assert result["status"] == "dry_run" and result["cost_estimate_usd"] == pytest.approx(4.22)
    assert result["request"]["payload"]["duration"] == 15
    assert segmind_submits(emulator.stats()) == 0


async def test_job_resource_and_resource_link(client: Any, emulator: Any):
    args = {"model": "segmind/heygen-avatar-iv", "image": upload(emulator.base_url, png_bytes(), "image/png"),
            "script": "Link me."}
    job = await run_to_end(client, structured(await client.call_tool("generate_talking_video", args)))
    read = await client.read_resource(f"video://jobs/{job['job_id']}")
    data = json.loads(read.contents[0].text)
    assert data["job_id"] == job["job_id"] and data["status"] == "completed"
    result = await client.call_tool("check_video_status", {"job_id": job["job_id"]})
    links = [c for c in result.content if c.type == "resource_link" and c.mime_type == "video/mp4"]
    assert links and links[0].uri.startswith("file://")
    assert os.path.exists(links[0].uri.removeprefix("file://"))


async def test_list_jobs_paginates(client: Any, emulator: Any):
    image = upload(emulator.base_url, png_bytes(), "image/png")
    made = set()
    for n in range(5):
        job = structured(await client.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": image, "script": f"Job number {n}."}))
        made.add(job["job_id"])
    seen: list[str] = []
    cursor = None
    while True:
        page = structured(await client.call_tool("list_jobs", {"limit": 2, **({"cursor": cursor} if cursor else {})}))
        seen += [j["job_id"] for j in page["jobs"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == made and len(seen) == len(made)


async def test_prompt_make_talking_video(client: Any):
    prompts = await client.list_prompts()
    assert "make_talking_video" in [p.name for p in prompts.prompts]
    got = await client.get_prompt("make_talking_video", {"topic": "our new app", "length_seconds": "15",
                                                         "tone": "upbeat"})
    text = got.messages[0].content.text
    assert "our new app" in text and "upbeat" in text and "36 words" in text and "dry_run" in text


async def test_cancel_says_the_provider_may_still_bill(home: Path, tmp_path: Path):
    # A slow provider (real time: the avatar job takes minutes), so the cancel surely lands while it runs.
    with run_in_thread(EmulatorConfig(speed=1.0)) as slow:
        settings = make_settings(home, tmp_path, slow.base_url)
        async with Client(build_server(settings)) as client:
            args = {"model": "segmind/heygen-avatar-iv", "image": upload(slow.base_url, png_bytes(), "image/png"),
                    "script": "Cancel me."}
            job = structured(await client.call_tool("generate_talking_video", args))
            with anyio.fail_after(20):
                while job.get("step") != "poll":
                    await anyio.sleep(0.05)
                    job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"]}))
            assert segmind_submits(slow.stats()) == 1
            canceled = structured(await client.call_tool("cancel_job", {"job_id": job["job_id"]}))
            assert canceled["status"] == "canceled", canceled
            assert "may still finish and bill" in canceled["next_step"]
            request_id = ledger_job(home, job["job_id"]).state["request_id"]
            polls = slow.stats()["jobs"][request_id]["polls"]
            await anyio.sleep(1.0)
            assert slow.stats()["jobs"][request_id]["polls"] == polls  # polling stopped
            again = structured(await client.call_tool("cancel_job", {"job_id": job["job_id"]}))
            assert again["status"] == "canceled" and "already canceled" in again["next_step"]
