"""fal end to end over a real MCP session against the emulator over loopback HTTP: every model with a photo
(path, URL, preset), a script or audio; dry runs with prices, the spend guard, unknown prices; queue position and
logs in check_video_status; cancel (also ALREADY_COMPLETED); the storage upload over the data-URI limit;
refusals as sentences naming our argument; a dropped submit never re-sent; a restart that resumes polling.
Doctor's key check is in tests/unit/test_doctor.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from pydantic import SecretStr

from talking_video_mcp.providers.fal.catalog import MODELS
from talking_video_mcp.providers.fal.request import FalModelId
from talking_video_mcp.settings import Settings
from tests.conftest import make_settings
from tests.helpers import error_text, png_bytes, structured, wait_for_job, wav_bytes

pytestmark = pytest.mark.anyio
FAL_KEY = "fal-test-key-1a2b3c4d:secret"
# The models whose price our sources do not publish, priced by the operator (FAL_PRICES_USD_PER_S).
PRICES = "fal/fabric-1.0-fast=0.1, fal/infinitalk=0.03, fal/creatify-aurora=0.1"


def fal_settings(home: Path, root: Path, base_url: str, **extra: Any) -> Settings:
    return make_settings(home, root, base_url, FAL_KEY=SecretStr(FAL_KEY), FAL_QUEUE_URL=f"{base_url}/fal/queue",
                         FAL_REST_URL=f"{base_url}/fal/rest", **extra)


@pytest.fixture
def settings(home: Path, tmp_path: Path, emulator: Any) -> Settings:
    return fal_settings(home, tmp_path, emulator.base_url, FAL_PRICES_USD_PER_S=PRICES)


@asynccontextmanager
async def session(settings: Settings) -> AsyncIterator[Any]:
    """An MCP session on a server of its own (a second one on the same home is a restarted server)."""
    from mcp import Client

    from talking_video_mcp.server import build_server

    async with Client(build_server(settings)) as client:
        yield client


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "face.png").write_bytes(png_bytes(384, 384))
    (tmp_path / "speech.wav").write_bytes(wav_bytes(4.0))
    return {"photo": str(tmp_path / "face.png"), "audio": str(tmp_path / "speech.wav")}


async def submit(client: Any, model: str, **args: Any) -> dict[str, Any]:
    return structured(await client.call_tool("generate_talking_video", {"model": model, **args}))


async def status(client: Any, job_id: str) -> dict[str, Any]:
    return structured(await client.call_tool("check_video_status", {"job_id": job_id}))


async def wait_until(client: Any, job_id: str, test: Any, limit_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while True:
        view = await status(client, job_id)
        if test(view):
            return view
        assert view["status"] in ("queued", "processing") and time.monotonic() < deadline, view
        await anyio.sleep(0.02)


def submitted(emulator: Any) -> dict[str, Any]:
    """The one job the emulator holds: its endpoint and the input it was sent."""
    jobs = list(emulator.stats()["jobs"].values())
    assert len(jobs) == 1, jobs
    job: dict[str, Any] = jobs[0]
    return job


def counts(emulator: Any, model: str) -> dict[str, int]:
    endpoint = next(m.endpoint for m in MODELS if m.model_id == model)
    found: dict[str, int] = emulator.stats()["models"][endpoint]
    return found


def test_the_stored_request_names_every_model() -> None:
    from typing import get_args

    assert set(get_args(FalModelId)) == {m.model_id for m in MODELS}


# ------------------------------------------------------------------------------------------- every model


@pytest.mark.parametrize("model", [m.model_id for m in MODELS])
async def test_each_model_makes_a_video_from_a_photo_file_and_audio(model: str, client: Any, emulator: Any,
                                                                    files: dict[str, str]) -> None:
    job = await submit(client, model, image=files["photo"], audio=files["audio"])
    assert job["cost_estimate_usd"] > 0
    job = await wait_for_job(client, job)
    assert job["status"] == "completed", job
    assert Path(job["video_path"]).read_bytes()[4:8] == b"ftyp"
    sent = submitted(emulator)
    assert sent["endpoint"] == next(m.endpoint for m in MODELS if m.model_id == model)
    assert sent["input"]["image_url"].startswith("data:image/png;base64,")
    assert sent["input"]["audio_url"].startswith("data:audio/")
    assert counts(emulator, model)["submit"] == 1


async def test_a_script_is_spoken_offline_first(client: Any, emulator: Any, files: dict[str, str]) -> None:
    job = await submit(client, "fal/infinitalk", image=files["photo"],
                       script="Hello there. This is a short test of the offline voice.")
    assert job["voice_id"]  # the offline voice that speaks it
    job = await wait_for_job(client, job)
    assert job["status"] == "completed", job
    sent = submitted(emulator)["input"]
    assert sent["audio_url"].startswith("data:audio/wav")
    assert 41 < sent["num_frames"] < 721  # the length follows the spoken script
    assert sent["prompt"]  # InfiniteTalk needs one: ours when none was given


async def test_models_that_speak_a_script_themselves(client: Any, emulator: Any, files: dict[str, str]) -> None:
    job = await submit(client, "fal/heygen-avatar4", image=files["photo"], script="Hi, I am here.", voice_id="Anna",
                       aspect_ratio="9:16")
    assert (await wait_for_job(client, job))["status"] == "completed"
    sent = submitted(emulator)["input"]
    assert sent["prompt"] == "Hi, I am here." and sent["voice"] == "Anna" and sent["aspect_ratio"] == "9:16"
    assert "audio_url" not in sent
    emulator.reset()
    job = await submit(client, "fal/fabric-1.0", image=files["photo"], script="Hello from Fabric.", resolution="480p",
                       options={"voice_description": "Calm, warm"})
    assert (await wait_for_job(client, job))["status"] == "completed"
    sent = submitted(emulator)
    assert sent["endpoint"] == "veed/fabric-1.0/text"
    assert sent["input"]["text"] == "Hello from Fabric." and sent["input"]["voice_description"] == "Calm, warm"


async def test_a_photo_url_and_a_preset(client: Any, emulator: Any, files: dict[str, str]) -> None:
    token = httpx.post(emulator.url("/fal/rest/storage/auth/token"), params={"storage_type": "fal-cdn-v3"}, json={},
                       headers={"authorization": f"Key {FAL_KEY}"}).json()
    photo_url = httpx.post(f"{token['base_url']}/files/upload", content=Path(files["photo"]).read_bytes(),
                           headers={"authorization": f"Bearer {token['token']}", "content-type": "image/png",
                                    "x-fal-file-name": "face.png"}).json()["access_url"]
    job = await submit(client, "fal/kling-avatar-v2-standard", image=photo_url, audio=files["audio"],
                       prompt="Smiling, calm")
    assert (await wait_for_job(client, job))["status"] == "completed"
    sent = submitted(emulator)["input"]
    assert sent["image_url"] == photo_url and sent["prompt"] == "Smiling, calm"
    emulator.reset()
    job = await submit(client, "fal/omnihuman-v1.5", avatar_preset_id="grace_hopper", audio=files["audio"])
    assert (await wait_for_job(client, job))["status"] == "completed"
    assert submitted(emulator)["input"]["image_url"].startswith("data:image/jpeg;base64,")


# ------------------------------------------------------------------------------------------- money


async def test_dry_runs_show_the_price_and_unknown_prices_are_refused_until_set(
        home: Path, tmp_path: Path, emulator: Any, files: dict[str, str]) -> None:
    media = {"image": files["photo"], "audio": files["audio"]}
    async with session(fal_settings(home, tmp_path, emulator.base_url)) as client:
        omni = await submit(client, "fal/omnihuman-v1.5", **media, dry_run=True)
        assert omni["cost_estimate_usd"] == pytest.approx(0.16 * 4.0, abs=0.01) and "$0.64" in omni["next_step"]
        fabric = await submit(client, "fal/fabric-1.0", **media, resolution="480p", dry_run=True)
        assert fabric["cost_estimate_usd"] == pytest.approx(0.08 * 4.0, abs=0.01)
        aurora = await submit(client, "fal/creatify-aurora", **media, dry_run=True)
        assert aurora["cost_estimate_usd"] is None and "price is unknown" in aurora["next_step"]
        assert "FAL_PRICES_USD_PER_S" in aurora["next_step"]
        refused = await client.call_tool("generate_talking_video", {"model": "fal/creatify-aurora", **media})
        assert refused.is_error and "FAL_PRICES_USD_PER_S" in error_text(refused)
        assert "Nothing was submitted" in error_text(refused)
        listed = structured(await client.call_tool("list_models", {}))["models"]
        assert "FAL_PRICES_USD_PER_S" in next(m for m in listed if m["model"] == "fal/creatify-aurora")["price_note"]
    assert counts(emulator, "fal/creatify-aurora")["submit"] == 0
    async with session(fal_settings(home, tmp_path, emulator.base_url, FAL_PRICES_USD_PER_S=PRICES)) as client:
        priced = await submit(client, "fal/creatify-aurora", **media, dry_run=True)
        assert priced["cost_estimate_usd"] == pytest.approx(0.1 * 4.0, abs=0.01)
        job = await submit(client, "fal/creatify-aurora", **media)
        assert (await wait_for_job(client, job))["status"] == "completed"
    assert counts(emulator, "fal/creatify-aurora")["submit"] == 1


async def test_the_spend_guard_above_and_below_the_estimate(home: Path, tmp_path: Path, emulator: Any,
                                                            files: dict[str, str]) -> None:
    media = {"image": files["photo"], "audio": files["audio"]}
    capped = fal_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_MAX_JOB_COST_USD=0.5)
    async with session(capped) as client:
        above = await client.call_tool("generate_talking_video", {"model": "fal/omnihuman-v1.5", **media})  # $0.64
        assert above.is_error and "above the per-job limit of $0.50" in error_text(above)
        below = await submit(client, "fal/kling-avatar-v2-standard", **media)  # $0.22
        assert (await wait_for_job(client, below))["status"] == "completed"
    assert counts(emulator, "fal/omnihuman-v1.5")["submit"] == 0
    assert counts(emulator, "fal/kling-avatar-v2-standard")["submit"] == 1


async def test_a_content_policy_refusal_says_so_and_gives_the_estimate_back(client: Any, emulator: Any,
                                                                            files: dict[str, str]) -> None:
    emulator.add_fault("fal.submit:fail")
    job = await submit(client, "fal/omnihuman-v1.5", image=files["photo"], audio=files["audio"])
    job = await wait_for_job(client, job)
    assert job["status"] == "failed"
    assert "content checker refused the image" in job["error"] and "content_policy_violation" in job["error"]
    assert "went back to today's budget" in job["error"] and job["cost_estimate_usd"] == 0.0
    account = structured(await client.call_tool("get_account", {}))
    assert account["spent_today_usd"] == 0.0


async def test_a_422_becomes_one_sentence_naming_our_argument(client: Any, emulator: Any,
                                                              files: dict[str, str]) -> None:
    # Our schema has no upper bound for guidance_scale (fal publishes none); the emulator's model refuses 50.
    job = await submit(client, "fal/creatify-aurora", image=files["photo"], audio=files["audio"],
                       options={"guidance_scale": 50})
    job = await wait_for_job(client, job)
    assert job["status"] == "failed"
    assert job["error"].startswith("options.guidance_scale: fal refused it for fal/creatify-aurora (Input should be")
    assert "Nothing was charged" in job["error"]
    assert counts(emulator, "fal/creatify-aurora")["rejected"] == 1


BAD = [
    ("fal/heygen-avatar4", {"prompt": "smile"}, "prompt"),
    ("fal/omnihuman-v1.5", {"resolution": "4k"}, "resolution"),
    ("fal/omnihuman-v1.5", {"options": {"talking_style": "stable"}}, "options.talking_style"),
    ("fal/infinitalk", {"options": {"num_frames": 9000}}, "options.num_frames"),
    ("fal/kling-avatar-v2-pro", {"seed": 3}, "seed"),
    ("fal/fabric-1.0", {"voice_id": "x", "audio": None, "script": "Hi."}, "voice_id"),
    ("fal/fabric-1.0", {"options": {"voice_description": "calm"}}, "options.voice_description"),
]


async def test_bad_arguments_are_refused_before_anything_is_sent(client: Any, emulator: Any,
                                                                 files: dict[str, str]) -> None:
    for model, extra, field in BAD:
        args = {k: v for k, v in {"image": files["photo"], "audio": files["audio"], **extra}.items() if v is not None}
        result = await client.call_tool("generate_talking_video", {"model": model, **args})
        assert result.is_error and error_text(result).startswith(f"{field}:"), (model, error_text(result))
        assert "Traceback" not in error_text(result)
    assert emulator.stats()["requests_total"] == 0


# ------------------------------------------------------------------------------------------- the queue


async def test_queue_position_and_logs_reach_check_video_status(client: Any, files: dict[str, str]) -> None:
    job = await submit(client, "fal/kling-avatar-v2-pro", image=files["photo"], audio=files["audio"])
    details: list[str] = []
    etas: list[float] = []
    while job["status"] in ("queued", "processing"):
        job = await status(client, job["job_id"])
        if job["detail"] and job["detail"] not in details:
            details.append(job["detail"])
        if job["eta_seconds"] is not None:
            etas.append(job["eta_seconds"])
        await anyio.sleep(0.02)
    assert job["status"] == "completed", job
    assert any(d.startswith("Waiting in fal's queue at position ") for d in details), details
    assert any(d.startswith("Running on fal: ") for d in details), details
    assert etas and job["detail"] is None and job["eta_seconds"] is None


async def test_cancel_asks_fal_and_gives_the_estimate_back(client: Any, emulator: Any, files: dict[str, str]) -> None:
    job = await submit(client, "fal/kling-avatar-v2-pro", image=files["photo"], audio=files["audio"])
    await wait_until(client, job["job_id"], lambda view: view["step"] == "poll")
    canceled = structured(await client.call_tool("cancel_job", {"job_id": job["job_id"]}))
    assert canceled["status"] == "canceled" and "CANCELLATION_REQUESTED" in canceled["next_step"]
    assert canceled["cost_estimate_usd"] == 0.0
    assert emulator.stats()["endpoints"]["fal.cancel"] == 1
    assert structured(await client.call_tool("get_account", {}))["spent_today_usd"] == 0.0


async def test_cancel_after_fal_finished_says_already_completed(client: Any, emulator: Any,
                                                                files: dict[str, str]) -> None:
    emulator.add_fault("fal.result:500x15")  # the job waits at its result step while fal has finished
    job = await submit(client, "fal/kling-avatar-v2-standard", image=files["photo"], audio=files["audio"])
    await wait_until(client, job["job_id"], lambda view: view["step"] == "result")
    answer = structured(await client.call_tool("cancel_job", {"job_id": job["job_id"]}))
    assert "ALREADY_COMPLETED" in answer["next_step"] and "billed" in answer["next_step"], answer
    assert answer["status"] != "canceled" and answer["cost_estimate_usd"] > 0
    assert (await wait_for_job(client, job))["status"] == "completed"


async def test_a_file_over_the_data_uri_limit_goes_through_the_storage_upload(
        client: Any, emulator: Any, files: dict[str, str], tmp_path: Path) -> None:
    big = tmp_path / "long.wav"
    big.write_bytes(wav_bytes(60.0, rate=48000))  # 5.8 MB: over the 5 MiB inline limit
    job = await submit(client, "fal/kling-avatar-v2-standard", image=files["photo"], audio=str(big))
    assert (await wait_for_job(client, job))["status"] == "completed"
    sent = submitted(emulator)["input"]
    assert sent["audio_url"].startswith(emulator.url("/files/uploads/")) and sent["audio_url"].endswith(".wav")
    assert sent["image_url"].startswith("data:image/png")  # small files still travel inline
    assert httpx.get(sent["audio_url"]).content == big.read_bytes()
    endpoints = emulator.stats()["endpoints"]
    assert endpoints["fal.token"] == 1 and endpoints["fal.upload"] == 1


async def test_a_connection_dropped_after_the_submit_is_never_re_sent(client: Any, emulator: Any,
                                                                      files: dict[str, str]) -> None:
    emulator.add_fault("fal.submit:drop-after-commit")
    job = await submit(client, "fal/omnihuman-v1.5", image=files["photo"], audio=files["audio"])
    job = await wait_for_job(client, job)
    assert job["status"] == "submit_unknown" and "not sent again" in job["error"], job
    await anyio.sleep(0.3)
    posts = [r for r in emulator.requests() if r["method"] == "POST" and r["endpoint"] == "fal.submit"]
    assert len(posts) == 1
    assert counts(emulator, "fal/omnihuman-v1.5")["accepted"] == 1


async def test_failed_reads_are_retried(client: Any, emulator: Any, files: dict[str, str]) -> None:
    emulator.add_fault("fal.status:500x2")
    emulator.add_fault("fal.result:429")
    job = await submit(client, "fal/omnihuman-v1.5", image=files["photo"], audio=files["audio"])
    assert (await wait_for_job(client, job))["status"] == "completed"
    fired = emulator.stats()["faults_fired"]
    assert fired["fal.status"] == {"500": 2} and fired["fal.result"] == {"429": 1}
    assert counts(emulator, "fal/omnihuman-v1.5")["submit"] == 1


async def test_a_restart_mid_job_resumes_polling(settings: Settings, emulator: Any, files: dict[str, str]) -> None:
    async with session(settings) as first:
        job = await submit(first, "fal/omnihuman-v1.5", image=files["photo"], audio=files["audio"])
        await wait_until(first, job["job_id"], lambda view: view["step"] == "poll")
    polls_before = counts(emulator, "fal/omnihuman-v1.5")["status"]
    async with session(settings) as second:
        done = await wait_for_job(second, job)
    assert done["status"] == "completed", done
    after = counts(emulator, "fal/omnihuman-v1.5")
    assert after["submit"] == 1 and after["status"] > polls_before


def test_operator_prices_parse_and_name_a_model_that_does_not_exist() -> None:
    from pydantic import ValidationError

    from talking_video_mcp.providers.fal import FalSettings

    parsed = FalSettings.model_validate({"FAL_PRICES_USD_PER_S": PRICES})
    assert parsed.prices == {"fal/fabric-1.0-fast": 0.1, "fal/infinitalk": 0.03, "fal/creatify-aurora": 0.1}
    assert FalSettings.model_validate({"FAL_PRICES_USD_PER_S": '{"fal/infinitalk": 0.02}'}).prices == {
        "fal/infinitalk": 0.02}
    for bad, said in (("fal/nope=0.1", "'fal/nope' is not a fal model"), ("fal/infinitalk", "model=price pairs"),
                      ("fal/infinitalk=-1", "0 or more")):
        with pytest.raises(ValidationError, match=said):
            FalSettings.model_validate({"FAL_PRICES_USD_PER_S": bad})
