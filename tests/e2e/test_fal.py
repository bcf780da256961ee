"""The fal provider end to end against the emulator over loopback HTTP: every model with a photo (path, URL,
preset), a script or audio; estimates and unknown prices; queue position and logs; cancel; the storage upload
over the data-URI limit; refusals as sentences naming our argument; a dropped submit never re-sent; a restart
that resumes polling.

The provider is driven directly (the registry wiring is separate work) by `Control`, a JobControl that keeps
the job in memory with the runner's rules: a paid submit is marked in flight and sent once, and the first
write after its answer records the outcome and clears the mark."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from talking_video_mcp.domain.provider import PreparedJob
from talking_video_mcp.domain.records import JobRecord, NewJob, check_updatable
from talking_video_mcp.domain.requests import TalkingVideoArgs
from talking_video_mcp.emulator import EmulatorConfig, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.errors import InvalidInput, ProviderError, SubmitOutcomeUnknown, TalkingVideoError
from talking_video_mcp.provider_http import RequestBudget, RetryPolicy, make_client
from talking_video_mcp.providers.access import ProviderAccess
from talking_video_mcp.providers.fal import (
    MODELS,
    FalArgs,
    FalHosts,
    FalProvider,
    FalRequest,
    job_detail,
    job_eta_s,
)
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.local import preset_path
from tests.helpers import png_bytes, wav_bytes

T = TypeVar("T")
KEY = "fal-test-key-1a2b3c4d:secret"
SPEED = 300.0
pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def emu_server() -> Iterator[EmulatorHandle]:
    with run_in_thread(EmulatorConfig(speed=SPEED)) as emu:
        yield emu


@pytest.fixture
def emu(emu_server: EmulatorHandle) -> EmulatorHandle:
    emu_server.reset()
    return emu_server


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "face.png").write_bytes(png_bytes(384, 384))
    (root / "speech.wav").write_bytes(wav_bytes(4.0))
    return {"root": root, "photo": root / "face.png", "audio": root / "speech.wav", "scratch": tmp_path / "scratch"}


class Env:
    """Builds providers on one emulator (a fresh HTTP client each, like a restarted server)."""

    def __init__(self, emu: EmulatorHandle, files: dict[str, Path]) -> None:
        self.emu = emu
        self.files = files
        self.clients: list[httpx.AsyncClient] = []

    def provider(self, *, key: str = KEY, queue: str | None = None, **options: Any) -> FalProvider:
        client = make_client(timeout_s=20.0)
        self.clients.append(client)
        self.files["scratch"].mkdir(exist_ok=True)
        inputs = InputsStage(allowed_roots=[self.files["root"]], scratch_dir=self.files["scratch"], client=client,
                             preset_lookup=preset_path)
        hosts = FalHosts(queue=queue or self.emu.url("/fal/queue"), rest=self.emu.url("/fal/rest"))
        access = ProviderAccess(key, hosts.queue, client, RequestBudget(600),
                                retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05))
        return FalProvider(access, inputs=inputs, hosts=hosts, **options)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def env(emu: EmulatorHandle, files: dict[str, Path]) -> AsyncIterator[Env]:
    made = Env(emu, files)
    yield made
    await made.aclose()


class Control:
    """An in-memory JobControl with the runner's paid-submit rules (see the module docstring)."""

    def __init__(self, job: JobRecord, scratch: Path) -> None:
        self._job = job
        self._scratch = scratch
        self._answered_at: float | None = None
        self.history: list[JobRecord] = [job]
        self.sends = 0

    @property
    def job(self) -> JobRecord:
        return self._job

    @property
    def scratch_dir(self) -> Path:
        return self._scratch

    def canceled(self) -> bool:
        return False

    def scaled(self, seconds: float) -> float:
        return seconds / SPEED

    async def update(self, **changes: Any) -> JobRecord:
        check_updatable(changes)
        if self._answered_at is not None:
            changes.setdefault("pending_submit", None)
            changes["submitted_at"] = changes.get("submitted_at") or self._answered_at
            self._answered_at = None
        self._job = dataclasses.replace(self._job, updated_at=time.time(), **changes)
        self.history.append(self._job)
        return self._job

    async def paid_submit(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        await self.update(pending_submit=label)
        self.sends += 1
        try:
            result = await call()
        except SubmitOutcomeUnknown:
            raise
        except TalkingVideoError as exc:
            self._job = dataclasses.replace(self._job, pending_submit=None)
            raise ProviderError(f"{exc} Nothing was charged.") from None
        self._answered_at = time.time()
        return result

    async def download(self, url: str, *, suffix: str = ".mp4", field: str = "video_path") -> Path:
        dest = self._scratch / f"{self._job.id}{suffix}"
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
            response.raise_for_status()
        dest.write_bytes(response.content)
        await self.update(**{field: str(dest)})
        return dest

    async def finish(self, **changes: Any) -> JobRecord:
        return await self.update(status="completed", progress=1.0, step=None, finished_at=time.time(), **changes)

    async def fail(self, message: str, *, status: Any = "failed") -> JobRecord:
        return await self.update(status=status, error=message, finished_at=time.time())

    def details(self) -> list[str]:
        return [d for d in (job.state.get("detail") for job in self.history) if isinstance(d, str)]


def new_job(prepared: PreparedJob) -> JobRecord:
    return NewJob(prepared.request, prepared.provider, cost_estimate_usd=prepared.cost_estimate_usd,
                  step=prepared.first_step).record(time.time())


async def drive(provider: FalProvider, ctl: Control, *, until: Callable[[JobRecord], bool] | None = None) -> None:
    for _ in range(500):
        if not ctl.job.active or (until is not None and until(ctl.job)):
            return
        delay = await provider.advance(ctl.job, ctl)
        if delay is None:
            return
        await anyio.sleep(delay)
    raise AssertionError(f"the job did not finish: {ctl.job}")


async def run(provider: FalProvider, model: str, files: dict[str, Path], **args: Any) -> Control:
    prepared = await provider.prepare(model, FalArgs(**args))
    ctl = Control(new_job(prepared), files["scratch"])
    await drive(provider, ctl)
    return ctl


def submitted(emu: EmulatorHandle) -> dict[str, Any]:
    """The one job the emulator holds: its endpoint and the input it was sent."""
    jobs = list(emu.stats()["jobs"].values())
    assert len(jobs) == 1, jobs
    job: dict[str, Any] = jobs[0]
    return job


# ------------------------------------------------------------------------------------------- every model


@pytest.mark.parametrize("model", [m.model_id for m in MODELS])
async def test_each_model_makes_a_video_from_a_photo_file_and_audio(model: str, env: Env,
                                                                    files: dict[str, Path]) -> None:
    provider = env.provider(prices={"fal/fabric-1.0-fast": 0.1, "fal/infinitalk": 0.03, "fal/creatify-aurora": 0.1})
    ctl = await run(provider, model, files, image=str(files["photo"]), audio=str(files["audio"]))
    assert ctl.job.status == "completed", ctl.job.error
    assert Path(str(ctl.job.video_path)).read_bytes()[4:8] == b"ftyp"
    job = submitted(env.emu)
    endpoint = next(m.endpoint for m in MODELS if m.model_id == model)
    assert job["endpoint"] == endpoint and job["status"] == "COMPLETED"
    assert job["input"]["image_url"].startswith("data:image/png;base64,")
    assert job["input"]["audio_url"].startswith("data:audio/")
    assert env.emu.stats()["models"][endpoint]["submit"] == 1
    assert ctl.sends == 1 and ctl.job.state["request_id"] and ctl.job.submitted_at


async def test_a_script_is_spoken_offline_first_as_a_step_of_the_job(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider(prices={"fal/infinitalk": 0.03})
    ctl = await run(provider, "fal/infinitalk", files, image=str(files["photo"]),
                    script="Hello there. This is a short test of the offline voice.")
    assert ctl.job.status == "completed", ctl.job.error
    assert "tts" in [job.step for job in ctl.history]
    assert "Speaking the script with the offline voice." in ctl.details()
    sent = submitted(env.emu)["input"]
    assert sent["audio_url"].startswith("data:audio/wav")
    assert 41 < sent["num_frames"] < 721  # the length follows the spoken script
    assert sent["prompt"]  # InfiniteTalk needs one: ours when none was given


async def test_models_that_speak_a_script_themselves(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider()
    ctl = await run(provider, "fal/heygen-avatar4", files, image=str(files["photo"]), script="Hi, I am here.",
                    voice_id="Anna", aspect_ratio="9:16")
    assert ctl.job.status == "completed", ctl.job.error
    assert "tts" not in [job.step for job in ctl.history]
    sent = submitted(env.emu)["input"]
    assert sent["prompt"] == "Hi, I am here." and sent["voice"] == "Anna" and sent["aspect_ratio"] == "9:16"
    assert "audio_url" not in sent
    env.emu.reset()
    ctl = await run(provider, "fal/fabric-1.0", files, image=str(files["photo"]), script="Hello from Fabric.",
                    resolution="480p", options={"voice_description": "Calm, warm"})
    assert ctl.job.status == "completed", ctl.job.error
    job = submitted(env.emu)
    assert job["endpoint"] == "veed/fabric-1.0/text"
    assert job["input"]["text"] == "Hello from Fabric." and job["input"]["voice_description"] == "Calm, warm"


async def test_a_photo_url_and_a_preset(env: Env, files: dict[str, Path]) -> None:
    token = httpx.post(env.emu.url("/fal/rest/storage/auth/token"), params={"storage_type": "fal-cdn-v3"}, json={},
                       headers={"authorization": f"Key {KEY}"}).json()
    photo_url = httpx.post(f"{token['base_url']}/files/upload", content=files["photo"].read_bytes(),
                           headers={"authorization": f"Bearer {token['token']}", "content-type": "image/png",
                                    "x-fal-file-name": "face.png"}).json()["access_url"]
    provider = env.provider()
    ctl = await run(provider, "fal/kling-avatar-v2-standard", files, image=photo_url, audio=str(files["audio"]),
                    prompt="Smiling, calm")
    assert ctl.job.status == "completed", ctl.job.error
    sent = submitted(env.emu)["input"]
    assert sent["image_url"] == photo_url and sent["prompt"] == "Smiling, calm"
    env.emu.reset()
    ctl = await run(provider, "fal/omnihuman-v1.5", files, avatar_preset_id="grace_hopper", audio=str(files["audio"]))
    assert ctl.job.status == "completed", ctl.job.error
    assert submitted(env.emu)["input"]["image_url"].startswith("data:image/jpeg;base64,")


# ------------------------------------------------------------------------------------------- money


async def test_estimates_follow_the_speech_and_unknown_prices_are_refused(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider()
    omni = await provider.prepare("fal/omnihuman-v1.5", FalArgs(image=str(files["photo"]), audio=str(files["audio"])))
    assert omni.cost_estimate_usd == pytest.approx(0.16 * 4.0, abs=0.01)
    fabric = await provider.prepare("fal/fabric-1.0", FalArgs(image=str(files["photo"]), audio=str(files["audio"]),
                                                              resolution="480p"))
    assert fabric.cost_estimate_usd == pytest.approx(0.08 * 4.0, abs=0.01)
    assert provider.estimate_cost("fal/heygen-avatar4", FalArgs(script="one two three four five")) == 0.25
    aurora = await provider.prepare("fal/creatify-aurora", FalArgs(image=str(files["photo"]),
                                                                    audio=str(files["audio"])))
    assert aurora.cost_estimate_usd is None
    assert any(w.startswith("Price unknown:") for w in aurora.request.warnings)
    refusal = provider.unpriced_refusal("fal/creatify-aurora")
    assert refusal and "FAL_PRICES_USD_PER_S" in refusal
    assert provider.unpriced_refusal("fal/omnihuman-v1.5") is None
    ctl = Control(new_job(aurora), files["scratch"])
    await drive(provider, ctl)
    assert ctl.job.status == "failed" and "Nothing was submitted" in str(ctl.job.error)
    assert env.emu.stats()["models"]["fal-ai/creatify/aurora"]["submit"] == 0
    priced = env.provider(prices={"fal/creatify-aurora": 0.12})
    assert priced.unpriced_refusal("fal/creatify-aurora") is None
    again = await priced.prepare("fal/creatify-aurora", FalArgs(image=str(files["photo"]), audio=str(files["audio"])))
    assert again.cost_estimate_usd == pytest.approx(0.12 * 4.0, abs=0.01)


async def test_a_content_policy_refusal_says_so_and_gives_the_estimate_back(env: Env, files: dict[str, Path]) -> None:
    env.emu.add_fault("fal.submit:fail")
    ctl = await run(env.provider(), "fal/omnihuman-v1.5", files, image=str(files["photo"]), audio=str(files["audio"]))
    assert ctl.job.status == "failed"
    error = str(ctl.job.error)
    assert "content checker refused the image" in error and "content_policy_violation" in error
    assert "went back to today's budget" in error
    assert ctl.job.cost_estimate_usd == 0.0 and ctl.job.state["estimate_returned_usd"] == pytest.approx(0.64, 0.02)
    assert env.emu.stats()["spent"]["fal"] == 0


async def test_a_422_becomes_one_sentence_naming_our_argument(env: Env, files: dict[str, Path]) -> None:
    big = files["root"] / "long.wav"
    big.write_bytes(wav_bytes(90.0, rate=48000))  # 8.6 MB: over fal's ~10 MB once base64-encoded
    provider = env.provider(inline_max_bytes=64 * 2**20)  # forced inline, so fal refuses it
    prepared = await provider.prepare("fal/kling-avatar-v2-standard", FalArgs(image=str(files["photo"]),
                                                                              audio=str(big)))
    ctl = Control(new_job(prepared), files["scratch"])
    with pytest.raises(ProviderError) as caught:
        await drive(provider, ctl)
    assert str(caught.value).startswith("audio: fal refused it for fal/kling-avatar-v2-standard (Data URI is larger")
    assert ctl.sends == 1 and ctl.job.submitted_at is None  # the runner ends it saying nothing was charged
    counts = env.emu.stats()["models"]["fal-ai/kling-video/ai-avatar/v2/standard"]
    assert counts["submit"] == 1 and counts["rejected"] == 1 and counts["accepted"] == 0


async def test_bad_arguments_are_refused_before_anything_is_sent(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider()
    photo, audio = str(files["photo"]), str(files["audio"])
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("fal/heygen-avatar4", {"prompt": "smile"}, "prompt"),
        ("fal/omnihuman-v1.5", {"resolution": "4k"}, "resolution"),
        ("fal/omnihuman-v1.5", {"options": {"talking_style": "stable"}}, "options.talking_style"),
        ("fal/infinitalk", {"options": {"num_frames": 9000}}, "options.num_frames"),
        ("fal/kling-avatar-v2-pro", {"seed": 3}, "seed"),
        ("fal/fabric-1.0", {"voice_id": "x", "audio": None, "script": "Hi."}, "voice_id"),
        ("fal/fabric-1.0", {"options": {"voice_description": "calm"}}, "options.voice_description"),
    ]
    for model, extra, field in cases:
        args = {"image": photo, "audio": audio, **extra}
        with pytest.raises(InvalidInput) as caught:
            await provider.prepare(model, FalArgs(**{k: v for k, v in args.items() if v is not None}))
        assert caught.value.field == field, (model, extra, str(caught.value))
    with pytest.raises(InvalidInput) as caught:
        await provider.prepare("fal/omnihuman-v1.5", TalkingVideoArgs(image=photo, audio=audio, quality="high"))
    assert caught.value.field == "quality"  # today's tool arguments: the ones no fal model takes are named
    assert env.emu.stats()["requests_total"] == 0
    frames = await provider.prepare("fal/infinitalk", TalkingVideoArgs(image=photo, audio=audio, duration=5))
    assert isinstance(frames.request, FalRequest) and frames.request.payload["num_frames"] == 126


# ------------------------------------------------------------------------------------------- the queue


async def test_queue_position_and_logs_reach_the_job(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider()
    prepared = await provider.prepare("fal/kling-avatar-v2-pro", FalArgs(image=str(files["photo"]),
                                                                         audio=str(files["audio"])))
    ctl = Control(new_job(prepared), files["scratch"])
    etas: list[float | None] = []
    while ctl.job.active:
        delay = await provider.advance(ctl.job, ctl)
        etas.append(job_eta_s(ctl.job))
        if delay is None:
            break
        await anyio.sleep(min(delay, 0.05))
    assert ctl.job.status == "completed", ctl.job.error
    details = ctl.details()
    assert any(d.startswith("Waiting in fal's queue at position ") for d in details), details
    assert any(d.startswith("Running on fal: ") for d in details), details
    assert "queued" in [job.status for job in ctl.history] and "processing" in [job.status for job in ctl.history]
    assert any(isinstance(eta, float) for eta in etas)
    assert job_detail(ctl.job) is None and job_eta_s(ctl.job) is None  # finished: nothing more to say


async def test_cancel_says_what_fal_said(env: Env, files: dict[str, Path]) -> None:
    provider = env.provider()
    prepared = await provider.prepare("fal/kling-avatar-v2-pro", FalArgs(image=str(files["photo"]),
                                                                         audio=str(files["audio"])))
    ctl = Control(new_job(prepared), files["scratch"])
    not_sent = await provider.cancel(ctl.job)
    assert not_sent.outcome == "NOT_SUBMITTED" and not_sent.estimate_returned
    await drive(provider, ctl, until=lambda job: job.step == "poll")
    queued = await provider.cancel(ctl.job)
    assert queued.outcome == "CANCELLATION_REQUESTED" and queued.estimate_returned
    assert env.emu.stats()["jobs"][ctl.job.state["request_id"]]["status"] == "COMPLETED"
    env.emu.reset()
    done = await run(provider, "fal/kling-avatar-v2-standard", files, image=str(files["photo"]),
                     audio=str(files["audio"]))
    assert done.job.status == "completed"
    late = await provider.cancel(done.job)
    assert late.outcome == "ALREADY_COMPLETED" and not late.estimate_returned
    assert "ALREADY_COMPLETED" in late.sentence and "billed" in late.sentence
    env.emu.reset()
    gone = await provider.cancel(done.job)
    assert gone.outcome == "NOT_FOUND"


async def test_a_file_over_the_data_uri_limit_goes_through_the_storage_upload(env: Env,
                                                                              files: dict[str, Path]) -> None:
    big = files["root"] / "long.wav"
    big.write_bytes(wav_bytes(60.0, rate=48000))  # 5.8 MB: over the 5 MiB inline limit
    ctl = await run(env.provider(), "fal/kling-avatar-v2-standard", files, image=str(files["photo"]), audio=str(big))
    assert ctl.job.status == "completed", ctl.job.error
    sent = submitted(env.emu)["input"]
    assert sent["audio_url"].startswith(env.emu.url("/files/uploads/")) and sent["audio_url"].endswith(".wav")
    assert sent["image_url"].startswith("data:image/png")  # small files still travel inline
    assert httpx.get(sent["audio_url"]).content == big.read_bytes()
    endpoints = env.emu.stats()["endpoints"]
    assert endpoints["fal.token"] == 1 and endpoints["fal.upload"] == 1
    assert ctl.job.state["uploaded"] == {"audio_url": sent["audio_url"]}


async def test_a_connection_dropped_after_the_submit_is_never_re_sent(env: Env, files: dict[str, Path]) -> None:
    env.emu.add_fault("fal.submit:drop-after-commit")
    provider = env.provider()
    prepared = await provider.prepare("fal/omnihuman-v1.5", FalArgs(image=str(files["photo"]),
                                                                    audio=str(files["audio"])))
    ctl = Control(new_job(prepared), files["scratch"])
    with pytest.raises(SubmitOutcomeUnknown):
        await drive(provider, ctl)
    assert ctl.job.pending_submit == "fal.submit" and ctl.sends == 1  # the runner makes it submit_unknown
    posts = [r for r in env.emu.requests() if r["method"] == "POST" and r["endpoint"] == "fal.submit"]
    assert len(posts) == 1
    assert env.emu.stats()["models"]["fal-ai/bytedance/omnihuman/v1.5"]["accepted"] == 1


async def test_failed_reads_are_retried_and_a_refused_submit_is_not(env: Env, files: dict[str, Path]) -> None:
    env.emu.add_fault("fal.status:500x2")
    env.emu.add_fault("fal.result:429")
    ctl = await run(env.provider(), "fal/omnihuman-v1.5", files, image=str(files["photo"]), audio=str(files["audio"]))
    assert ctl.job.status == "completed", ctl.job.error
    fired = env.emu.stats()["faults_fired"]
    assert fired["fal.status"] == {"500": 2} and fired["fal.result"] == {"429": 1}
    env.emu.reset()
    env.emu.add_fault("fal.submit:502")
    provider = env.provider()
    prepared = await provider.prepare("fal/omnihuman-v1.5", FalArgs(image=str(files["photo"]),
                                                                    audio=str(files["audio"])))
    gateway = Control(new_job(prepared), files["scratch"])
    with pytest.raises(SubmitOutcomeUnknown):
        await drive(provider, gateway)
    env.emu.add_fault("fal.submit:429")
    limited = Control(new_job(prepared), files["scratch"])
    with pytest.raises(ProviderError, match="rate-limited"):
        await drive(provider, limited)
    assert env.emu.stats()["models"]["fal-ai/bytedance/omnihuman/v1.5"]["submit"] == 2  # one each, never re-sent


async def test_a_restart_mid_job_resumes_polling(env: Env, files: dict[str, Path]) -> None:
    first = env.provider()
    prepared = await first.prepare("fal/omnihuman-v1.5", FalArgs(image=str(files["photo"]),
                                                                 audio=str(files["audio"])))
    ctl = Control(new_job(prepared), files["scratch"])
    await drive(first, ctl, until=lambda job: job.step == "poll" and job.polls >= 1)
    polls_before = env.emu.stats()["models"]["fal-ai/bytedance/omnihuman/v1.5"]["status"]
    await env.clients[0].aclose()  # the first process is gone
    second = env.provider()
    resumed = Control(ctl.job, files["scratch"])
    await drive(second, resumed)
    assert resumed.job.status == "completed", resumed.job.error
    counts = env.emu.stats()["models"]["fal-ai/bytedance/omnihuman/v1.5"]
    assert counts["submit"] == 1 and counts["status"] > polls_before and resumed.sends == 0


async def test_the_doctor_check(env: Env) -> None:
    assert (await env.provider().check_key()).status == "ok"
    rejected = await env.provider(key="bad-key").check_key()
    assert rejected.status == "rejected" and "FAL_KEY" in rejected.sentence
    assert (await env.provider(key="").check_key()).status == "unconfigured"
    with anyio.fail_after(30):
        closed = env.provider()
        closed.hosts = FalHosts(queue=closed.hosts.queue, rest="http://127.0.0.1:9/fal/rest")
        unreachable = await closed.check_key()
    assert unreachable.status == "unreachable"
