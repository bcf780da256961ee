"""HeyGen (API v3) end to end over a real MCP session, against the loopback emulator over real HTTP: a local
photo, a preset, a URL and a HeyGen avatar; a script with a HeyGen voice and an audio file; prices in dry runs
and the spend guard; failures as one sentence; the paid POST sent once; a restart mid-job; an expired video URL;
paging of voices and avatars; the wallet; doctor's key check; what canceling means."""

from __future__ import annotations

import os
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from pydantic import SecretStr

from talking_video_mcp.emulator.heygen import voices
from talking_video_mcp.media.video import probe_video
from talking_video_mcp.server import build_server
from talking_video_mcp.settings import Settings
from tests.conftest import make_settings
from tests.helpers import error_text, png_bytes, structured, upload, wait_for_job, wav_bytes
from tests.servers import free_port

pytestmark = pytest.mark.anyio
KEY = "hg-test-key"
MODEL = "heygen/avatar-iv"
VOICE = str(voices()[3]["voice_id"])
LOOK = "look_0003"  # one of the emulator's HeyGen avatar looks
PRESET = "local:grace_hopper"  # one of this server's own photos


def heygen_settings(home: Path, root: Path, base_url: str, **extra: Any) -> Settings:
    return make_settings(home, root, base_url, HEYGEN_API_KEY=SecretStr(KEY), HEYGEN_BASE_URL=base_url, **extra)


@pytest.fixture
def settings(home: Path, tmp_path: Path, emulator: Any) -> Settings:
    return heygen_settings(home, tmp_path, emulator.base_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Any]:
    async with Client(build_server(settings)) as session:
        yield session


def photo(tmp_path: Path) -> str:
    path = tmp_path / "face.png"
    path.write_bytes(png_bytes(384, 384))
    return str(path)


def count(emulator: Any, endpoint: str) -> int:
    return int(emulator.stats()["endpoints"].get(endpoint, 0))


def heygen_requests(emulator: Any) -> int:
    return sum(n for name, n in emulator.stats()["endpoints"].items() if name.startswith("heygen."))


def sent(emulator: Any) -> dict[str, Any]:
    """The body of the one video HeyGen was asked for."""
    (job,) = emulator.stats()["jobs"].values()
    return dict(job["input"])


async def run(client: Any, **args: Any) -> dict[str, Any]:
    job = structured(await client.call_tool("generate_talking_video", {"model": MODEL, **args}))
    return await wait_for_job(client, job, limit_s=60, wait_s=2)


def _is_video(path: str | None) -> bool:
    return path is not None and probe_video(Path(path)).frames > 0


# ---------------------------------------------------------------- list_models and prices


async def test_listed_with_its_arguments_options_and_prices(client: Any, emulator: Any) -> None:
    listed = structured(await client.call_tool("list_models", {"configured": True}))
    entry = next(m for m in listed["models"] if m["model"] == MODEL)
    assert entry["provider"] == "heygen" and entry["configured"] is True
    assert {"image", "avatar_preset_id", "script", "audio", "voice_id", "prompt", "resolution",
            "aspect_ratio"} <= set(entry["takes"]) and "seed" not in entry["takes"]
    options = entry["options"]["properties"]
    assert {"expressiveness", "fit", "remove_background", "output_format", "caption", "background",
            "engine", "title"} <= set(options)
    assert entry["prices"] == {"resolution=720p or 1080p, per second": 0.05,
                               "resolution=2160p (4K), per second": 0.0667}
    account = structured(await client.call_tool("get_account", {}))
    heygen = next(p for p in account["providers"] if p["provider"] == "heygen")
    assert (heygen["configured"], heygen["balance"], heygen["balance_unit"]) == (True, 100.0, "USD")
    assert heygen["models"] == [MODEL]
    rows = [(r["option"], r["price_usd"]) for r in account["prices"] if r["model"] == MODEL]
    assert rows == [("resolution=720p or 1080p, per second", 0.05), ("resolution=2160p (4K), per second", 0.0667)]


@pytest.mark.parametrize(("resolution", "per_second"), [("720p", 0.05), ("1080p", 0.05), ("2160p", 0.0667),
                                                        (None, 0.05)])
async def test_dry_run_prices_the_script_by_resolution(client: Any, emulator: Any, tmp_path: Path,
                                                      resolution: str | None, per_second: float) -> None:
    args = {"model": MODEL, "image": photo(tmp_path), "script": "Hello from a photo on HeyGen.", "voice_id": VOICE,
            "prompt": "nods gently", "aspect_ratio": "9:16", "dry_run": True}
    if resolution:
        args["resolution"] = resolution
    view = structured(await client.call_tool("generate_talking_video", args))
    # 6 words at ~2.5 words a second: 3 s (rounded up).
    assert view["status"] == "dry_run" and view["cost_estimate_usd"] == pytest.approx(3 * per_second)
    payload = view["request"]["payload"]
    assert (payload["type"], payload["voice_id"], payload["motion_prompt"], payload["aspect_ratio"]) == (
        "image", VOICE, "nods gently", "9:16")
    assert heygen_requests(emulator) == 0


async def test_spend_guard_above_and_below_the_estimate(home: Path, tmp_path: Path, emulator: Any) -> None:
    words = " ".join(["word"] * 25)  # 10 s: $0.50 at 1080p, $0.667 at 4K
    args = {"model": MODEL, "avatar_preset_id": LOOK, "script": words}
    capped = heygen_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_MAX_JOB_COST_USD=0.6,
                             TALKING_VIDEO_DAILY_BUDGET_USD=1e6)
    async with Client(build_server(capped)) as client:
        refused = await client.call_tool("generate_talking_video", {**args, "resolution": "2160p"})
        assert refused.is_error
        assert "This job is estimated at $0.67, above the per-job limit of $0.60" in error_text(refused)
        assert count(emulator, "heygen.videos.create") == 0
        job = structured(await client.call_tool("generate_talking_video", {**args, "resolution": "1080p"}))
        assert job["status"] in ("queued", "processing") and job["cost_estimate_usd"] == 0.5
        job = await wait_for_job(client, job, wait_s=2)
    assert job["status"] == "completed", job
    assert count(emulator, "heygen.videos.create") == 1


# ---------------------------------------------------------------- faces and speech


async def test_local_photo_and_script_with_a_heygen_voice(client: Any, emulator: Any, tmp_path: Path) -> None:
    job = await run(client, image=photo(tmp_path), script="Hello from a photo on HeyGen.", voice_id=VOICE,
                     prompt="nods gently", resolution="2160p", options={"expressiveness": "high"})
    assert job["status"] == "completed", job
    assert _is_video(job["video_path"]) and job["cost_estimate_usd"] == pytest.approx(3 * 0.0667)
    body = sent(emulator)
    assert body["type"] == "image" and body["image"]["type"] == "asset_id"
    assert (body["voice_id"], body["motion_prompt"], body["resolution"], body["expressiveness"]) == (
        VOICE, "nods gently", "4k", "high")
    assert count(emulator, "heygen.assets.create") == 1 and count(emulator, "heygen.videos.create") == 1


async def test_a_preset_of_this_server_is_sent_as_a_photo(client: Any, emulator: Any) -> None:
    job = await run(client, avatar_preset_id=PRESET, script="A preset speaking on HeyGen.", voice_id=VOICE)
    assert job["status"] == "completed", job
    body = sent(emulator)
    assert body["type"] == "image" and body["image"]["type"] == "asset_id" and "avatar_id" not in body
    assert count(emulator, "heygen.assets.create") == 1


async def test_photo_url_and_local_audio_uploaded_as_an_asset(client: Any, emulator: Any, tmp_path: Path) -> None:
    photo_url = upload(emulator.base_url, png_bytes(256, 256), "image/png")
    audio = tmp_path / "speech.wav"
    audio.write_bytes(wav_bytes(3.0))
    job = await run(client, image=photo_url, audio=str(audio), resolution="720p")
    assert job["status"] == "completed", job
    assert job["cost_estimate_usd"] == pytest.approx(3 * 0.05)  # from the audio's length
    body = sent(emulator)
    assert body["image"] == {"type": "url", "url": photo_url}
    assert body["audio_asset_id"] and "script" not in body and "voice_id" not in body
    assert count(emulator, "heygen.assets.create") == 1  # the audio only: the photo went as its URL


async def test_heygen_avatar_with_its_own_voice_then_audio_url(client: Any, emulator: Any) -> None:
    job = await run(client, avatar_preset_id=LOOK, script="Hi, I am a HeyGen avatar.", aspect_ratio="9:16",
                    options={"engine": {"type": "avatar_v"}, "fit": "contain", "title": "Avatar test"})
    assert job["status"] == "completed", job
    body = sent(emulator)
    assert (body["type"], body["avatar_id"], body["aspect_ratio"], body["fit"], body["title"]) == (
        "avatar", LOOK, "9:16", "contain", "Avatar test")
    assert body["engine"] == {"type": "avatar_v"} and "voice_id" not in body and "output_format" not in body
    emulator.reset()
    audio_url = upload(emulator.base_url, wav_bytes(2.0), "audio/wav")
    job = await run(client, avatar_preset_id=LOOK, audio=audio_url)
    assert job["status"] == "completed", job
    assert sent(emulator)["audio_url"] == audio_url and count(emulator, "heygen.assets.create") == 0


BAD = [
    ({"script": "Hi.", "voice_id": VOICE}, "image: give a face photo"),
    ({"image": "PHOTO", "avatar_preset_id": LOOK, "script": "Hi.", "voice_id": VOICE}, "avatar_preset_id: give either"),
    ({"avatar_preset_id": LOOK, "script": "Hi.", "audio": "https://example.com/a.wav"}, "audio: give either"),
    ({"avatar_preset_id": LOOK, "audio": "AUDIO", "voice_id": VOICE}, "voice_id: only applies with a script"),
    ({"avatar_preset_id": LOOK, "script": "Hi.", "seed": 3}, "seed: heygen/avatar-iv does not take it"),
    ({"avatar_preset_id": LOOK, "script": "Hi.", "resolution": "480p"},
     "resolution: '480p' is not offered by HeyGen; use 720p, 1080p or 2160p (4K)."),
    ({"avatar_preset_id": LOOK}, "script: give a script with a HeyGen voice_id"),
    ({"image": "PHOTO", "script": "Hi."}, "voice_id: a photo has no voice of its own"),
    ({"image": "PHOTO", "script": "Hi.", "voice_id": VOICE, "options": {"engine": {"type": "avatar_iv"}}},
     "options.engine: only applies to a HeyGen avatar"),
    ({"avatar_preset_id": LOOK, "script": "Hi.", "options": {"quality": "high"}}, "options.quality: is not an option"),
    ({"avatar_preset_id": LOOK, "script": "Hi.", "options": {"expressiveness": "wild"}}, "options.expressiveness:"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "start"), BAD)
async def test_bad_arguments_are_refused_before_any_request(
    client: Any, emulator: Any, tmp_path: Path, change: dict[str, Any], start: str
) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(wav_bytes(1.0))
    args = {k: {"PHOTO": photo(tmp_path), "AUDIO": str(audio)}.get(v, v) if isinstance(v, str) else v
            for k, v in change.items()}
    result = await client.call_tool("generate_talking_video", {"model": MODEL, **args})
    assert result.is_error, result
    text = error_text(result)
    assert text.startswith(start) and "Traceback" not in text, text
    assert heygen_requests(emulator) == 0


async def test_an_upload_over_32_mb_is_refused_before_anything_is_sent(client: Any, emulator: Any,
                                                                       tmp_path: Path) -> None:
    big = tmp_path / "long.wav"
    with wave.open(str(big), "wb") as out:  # 3 minutes of 48 kHz stereo: 34.6 MB
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(os.urandom(180 * 48_000 * 4))  # noise: not refused as silent
    result = await client.call_tool("generate_talking_video", {"model": MODEL, "avatar_preset_id": LOOK,
                                                               "audio": str(big)})
    assert error_text(result) == ("audio: is larger than the 32 MB HeyGen takes as an upload; send a smaller file or "
                                  "a public https URL.")
    assert heygen_requests(emulator) == 0


# ---------------------------------------------------------------- failures as one sentence


async def test_heygen_validation_error_names_our_argument(client: Any, emulator: Any) -> None:
    job = await run(client, avatar_preset_id=LOOK, script="Hi.", voice_id="nope")
    assert job["status"] == "failed"
    assert job["error"].startswith("voice_id: HeyGen refused it: voice nope not found.")
    assert "Nothing was charged" in job["error"] and count(emulator, "heygen.videos.create") == 1
    job = await run(client, avatar_preset_id="look_nope", script="Hi.")
    assert job["status"] == "failed" and job["error"].startswith("avatar_preset_id: HeyGen does not know it")


async def test_insufficient_credit_is_one_sentence(client: Any, emulator: Any) -> None:
    from talking_video_mcp.emulator.state import account_id

    emulator.state.set_balance("heygen", account_id(KEY), 0.01)
    job = await run(client, avatar_preset_id=LOOK, script="Hello there.")
    assert job["status"] == "failed"
    assert "HeyGen's API wallet does not cover this video; top up the API wallet" in job["error"]
    assert "Traceback" not in job["error"]


async def test_failed_video_reason_is_a_sentence(client: Any, emulator: Any) -> None:
    emulator.add_fault("heygen.videos.create:fail")
    job = await run(client, avatar_preset_id=LOOK, script="Hello there.")
    assert job["status"] == "failed"
    assert job["error"] == ("HeyGen could not make the video (MODERATION_REJECTED): the input image did not pass "
                            "content moderation.")


@pytest.mark.parametrize("fault", ["drop-after-commit", "500"])
async def test_paid_submit_is_never_sent_twice(client: Any, emulator: Any, fault: str) -> None:
    emulator.add_fault(f"heygen.videos.create:{fault}")
    job = await run(client, avatar_preset_id=LOOK, script="Hello there.")
    assert job["status"] == "submit_unknown", job
    assert "not sent again" in job["error"]
    await anyio.sleep(0.5)
    assert count(emulator, "heygen.videos.create") == 1


async def test_429_on_the_submit_is_not_resent(client: Any, emulator: Any) -> None:
    emulator.add_fault("heygen.videos.create:429")
    job = await run(client, avatar_preset_id=LOOK, script="Hello there.")
    assert job["status"] == "failed"
    assert "HeyGen is rate-limiting this API key during the paid submit" in job["error"]
    assert "Nothing was charged" in job["error"] and count(emulator, "heygen.videos.create") == 1


async def test_429_on_reads_is_retried_after_retry_after(client: Any, emulator: Any) -> None:
    emulator.add_fault("heygen.videos.get:429")  # the emulator says Retry-After: 1
    job = await run(client, avatar_preset_id=LOOK, script="Hello there.")
    assert job["status"] == "completed", job
    codes = emulator.stats()["status_codes"]["heygen.videos.get"]
    assert codes["429"] == 1 and codes["200"] >= 1 and count(emulator, "heygen.videos.create") == 1
    emulator.add_fault("heygen.voices:429")
    started = time.monotonic()
    listed = structured(await client.call_tool("list_voices", {"provider": "heygen", "limit": 5}))
    assert time.monotonic() - started >= 0.9 and len(listed["voices"]) == 5


# ---------------------------------------------------------------- restart, expiry, captions, cancel


async def submitted_and_polling(client: Any, emulator: Any) -> dict[str, Any]:
    """A job HeyGen has accepted whose status reads keep failing (HTTP 500), once its first read was made."""
    emulator.add_fault("heygen.videos.get:500x*")
    job = structured(await client.call_tool("generate_talking_video", {
        "model": MODEL, "avatar_preset_id": LOOK, "script": "Hello there."}))
    with anyio.fail_after(30):
        while count(emulator, "heygen.videos.get") == 0:
            await anyio.sleep(0.05)
    return job


async def test_a_restart_mid_job_resumes_polling(settings: Settings, emulator: Any) -> None:
    async with Client(build_server(settings)) as client:
        job = await submitted_and_polling(client, emulator)  # the first server never sees the video finish
        view = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"]}))
        assert view["status"] in ("queued", "processing") and view["step"] == "poll", view
    emulator.clear_faults()
    async with Client(build_server(settings)) as client:
        done = await wait_for_job(client, job, wait_s=2)
    assert done["status"] == "completed", done
    assert _is_video(done["video_path"]) and count(emulator, "heygen.videos.create") == 1
    assert emulator.stats()["status_codes"]["heygen.videos.get"]["200"] >= 1


async def test_expired_video_url_is_asked_for_again_and_captions_are_kept(client: Any, emulator: Any) -> None:
    emulator.add_fault("heygen.file:expire")
    job = await run(client, avatar_preset_id=LOOK, script="Captions please.", options={"caption": {}})
    assert job["status"] == "completed", job
    assert _is_video(job["video_path"])
    assert emulator.stats()["status_codes"]["heygen.file"] == {"403": 1, "200": 2}  # video twice, subtitles once
    assert count(emulator, "heygen.videos.get") >= 2  # the fresh URL came from the status call
    srt = Path(job["video_path"]).with_suffix(".srt")
    assert "Captions please." in srt.read_text()


async def test_cancel_says_the_render_goes_on_and_is_billed(client: Any, emulator: Any) -> None:
    job = await submitted_and_polling(client, emulator)
    canceled = structured(await client.call_tool("cancel_job", {"job_id": job["job_id"]}))
    assert canceled["status"] == "canceled"
    assert "HeyGen still renders it and charges the API wallet" in canceled["next_step"]
    assert count(emulator, "heygen.videos.create") == 1  # nothing was sent to cancel: HeyGen has no such call


# ---------------------------------------------------------------- voices, avatars, doctor


async def test_voices_and_avatars_are_listed_with_paging(client: Any, emulator: Any) -> None:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = structured(await client.call_tool("list_voices", {"provider": "heygen", "limit": 20,
                                                                 **({"cursor": cursor} if cursor else {})}))
        ids += [v["voice_id"] for v in page["voices"]]
        assert all(v["provider"] == "heygen" and v["models"] == [MODEL] for v in page["voices"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(set(ids)) == len(ids) == 45 and VOICE in ids
    first = structured(await client.call_tool("list_avatar_presets", {"provider": "heygen", "limit": 25}))
    assert len(first["presets"]) == 25 and first["next_cursor"] and first["total"] == 30
    rest = structured(await client.call_tool("list_avatar_presets", {"provider": "heygen", "limit": 25,
                                                                     "cursor": first["next_cursor"]}))
    assert len(rest["presets"]) == 5 and not rest.get("next_cursor")
    assert first["presets"][0]["avatar_preset_id"] == "look_0000"
    spanish = structured(await client.call_tool("list_voices", {"provider": "heygen", "search": "spanish"}))
    assert spanish["voices"] and all(v["language"] == "Spanish" for v in spanish["voices"])


async def test_doctor_checks_the_key(home: Path, tmp_path: Path, emulator: Any) -> None:
    from talking_video_mcp.doctor import check_keys

    async def check(key: str, url: str) -> Any:
        settings = make_settings(home, tmp_path, emulator.base_url, HEYGEN_API_KEY=SecretStr(key),
                                 HEYGEN_BASE_URL=url)
        return next(c for c in await check_keys(settings, timeout_s=3) if c.name == "heygen key")

    ok = await check(KEY, emulator.base_url)
    assert (ok.status, ok.detail) == ("ok", "HeyGen accepts HEYGEN_API_KEY; the API wallet holds 100.0 USD.")
    rejected = await check("bad-key", emulator.base_url)
    assert rejected.status == "fail" and "did not accept HEYGEN_API_KEY" in rejected.detail
    unreachable = await check(KEY, f"http://127.0.0.1:{free_port()}")  # refused, retried, or out of time
    assert unreachable.status == "fail" and "did not accept" not in unreachable.detail
    assert "check the network and HEYGEN_BASE_URL" in unreachable.fix
    assert all("bad-key" not in c.line() and KEY not in c.line() for c in (ok, rejected, unreachable))
