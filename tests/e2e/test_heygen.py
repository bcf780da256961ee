"""The HeyGen provider against the loopback emulator over real HTTP: photo file / URL / HeyGen avatar, script and
audio, prices, failures as sentences, the paid POST sent once, a restart mid-job, expired result URLs, paging,
the wallet, 429s on reads and the doctor check.

Jobs are driven by a small in-memory JobControl: the ledger's request type is closed to the seed providers
until the provider packages land (issue 23), so the runner cannot store a HeyGen job yet."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from talking_video_mcp.domain.provider import PreparedJob
from talking_video_mcp.domain.records import JobRecord, check_updatable
from talking_video_mcp.domain.requests import TalkingVideoArgs
from talking_video_mcp.emulator.heygen import voices
from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.errors import (
    InvalidInput,
    ProviderError,
    SubmitOutcomeUnknown,
    TalkingVideoError,
)
from talking_video_mcp.provider_http import RequestBudget, RetryPolicy, make_client
from talking_video_mcp.providers.access import ProviderAccess
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.doctor import check_key
from talking_video_mcp.providers.heygen.options import Caption, Engine, HeygenOptions
from talking_video_mcp.providers.heygen.provider import HeygenProvider
from talking_video_mcp.providers.heygen.requests import HeygenArgs
from talking_video_mcp.providers.inputs_stage import InputsStage
from tests.conftest import EMULATOR_SPEED
from tests.helpers import png_bytes, upload, wav_bytes
from tests.servers import free_port

pytestmark = pytest.mark.anyio
T = TypeVar("T")
SPEED = EMULATOR_SPEED  # 300: a 300 s HeyGen render takes 1 s; presigned URLs live 2 s
KEY = "hg-test-key"
VOICE = str(voices()[3]["voice_id"])


class Control:
    """The runner's services for one job, in memory: updates, the paid-submit mark, downloads, finish/fail."""

    def __init__(self, job: JobRecord, home: Path, client: httpx.AsyncClient) -> None:
        self._job, self.home, self.client = job, home, client
        self.submit_attempted = False

    @property
    def job(self) -> JobRecord:
        return self._job

    @property
    def scratch_dir(self) -> Path:
        return self.home / "scratch"

    def canceled(self) -> bool:
        return False

    def scaled(self, seconds: float) -> float:
        return seconds / SPEED

    async def update(self, **changes: Any) -> JobRecord:
        check_updatable(changes)
        if self._job.pending_submit and "pending_submit" not in changes:
            changes = {"pending_submit": None, "submitted_at": time.time(), **changes}
        self._job = replace(self._job, updated_at=time.time(), **changes)
        return self._job

    async def paid_submit(self, label: str, call: Callable[[], Awaitable[T]]) -> T:
        await self.update(pending_submit=label, step=self._job.step)
        self.submit_attempted = True
        try:
            return await call()
        except SubmitOutcomeUnknown:
            raise
        except TalkingVideoError as exc:
            await self.update(pending_submit=None)
            raise ProviderError(f"{str(exc).rstrip('.')}. Nothing was charged.") from None

    async def download(self, url: str, *, suffix: str = ".mp4", field: str = "video_path") -> Path:
        response = await self.client.get(url)
        if response.status_code >= 400:
            raise ProviderError(f"the result file could not be downloaded (HTTP {response.status_code}).",
                                status_code=response.status_code, retryable=True)
        dest = self.home / f"{self._job.id}{suffix}"
        dest.write_bytes(response.content)
        await self.update(**{field: str(dest)})
        return dest

    async def finish(self, **changes: Any) -> JobRecord:
        return await self.update(status="completed", progress=1.0, step=None, finished_at=time.time(), **changes)

    async def fail(self, message: str, *, status: Any = "failed") -> JobRecord:
        return await self.update(status=status, error=message, finished_at=time.time())


class Harness:
    def __init__(self, emu: EmulatorHandle, home: Path, client: httpx.AsyncClient, key: str = KEY) -> None:
        self.emu, self.home, self.client = emu, home, client
        (home / "scratch").mkdir(exist_ok=True)
        self.provider = self.make(key)

    def make(self, key: str = KEY) -> HeygenProvider:
        access = ProviderAccess(key, self.emu.base_url, self.client, RequestBudget(10_000),
                                retry=RetryPolicy(attempts=4, base_s=0.01, cap_s=0.05))
        inputs = InputsStage(allowed_roots=[self.home], scratch_dir=self.home / "scratch", client=self.client,
                             preset_lookup=lambda _: None)
        return HeygenProvider(access, inputs=inputs)

    def photo(self) -> str:
        path = self.home / "face.png"
        path.write_bytes(png_bytes(384, 384))
        return str(path)

    async def prepare(self, args: TalkingVideoArgs | HeygenArgs) -> PreparedJob:
        return await self.provider.prepare(m.MODEL_ID, args)

    def control(self, prepared: PreparedJob) -> Control:
        now = time.time()
        job = JobRecord(id=f"job_{int(now * 1e6)}", model=prepared.model, provider="heygen", kind=prepared.kind,
                        status="queued", request=prepared.request, created_at=now, updated_at=now,
                        step=prepared.first_step, cost_estimate_usd=prepared.cost_estimate_usd)
        return Control(job, self.home, self.client)

    async def drive(self, ctl: Control, provider: HeygenProvider | None = None, *,
                    until: Callable[[JobRecord], bool] = lambda job: not job.active) -> JobRecord:
        provider = provider or self.provider
        with anyio.fail_after(30):
            while not until(ctl.job):
                delay = await provider.advance(ctl.job, ctl)
                if delay is None:
                    break
                await anyio.sleep(delay)
        return ctl.job

    async def run(self, args: TalkingVideoArgs | HeygenArgs) -> JobRecord:
        return await self.drive(self.control(await self.prepare(args)))

    def sent(self) -> dict[str, Any]:
        (job,) = self.emu.stats()["jobs"].values()
        return dict(job["input"])

    def count(self, endpoint: str) -> int:
        return int(self.emu.stats()["endpoints"].get(endpoint, 0))


@pytest.fixture
async def h(emulator: EmulatorHandle, tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_client() as client:
        yield Harness(emulator, tmp_path, client)


def _is_mp4(path: str | None) -> bool:
    return path is not None and Path(path).read_bytes()[4:8] == b"ftyp"


async def test_local_photo_and_script_with_a_heygen_voice(h: Harness) -> None:
    args = TalkingVideoArgs(image=h.photo(), script="Hello from a photo on HeyGen.", voice_id=VOICE,
                            prompt="nods gently", resolution="4k")
    prepared = await h.prepare(args)
    # 6 words at ~2.5 words a second: 3 s (rounded up) at the 4K price.
    assert prepared.cost_estimate_usd == h.provider.estimate_cost(m.MODEL_ID, args) == pytest.approx(3 * 0.0667)
    job = await h.drive(h.control(prepared))
    assert job.status == "completed", job.error
    assert _is_mp4(job.video_path)
    sent = h.sent()
    assert sent["type"] == "image" and sent["image"]["type"] == "asset_id"
    assert (sent["voice_id"], sent["motion_prompt"], sent["resolution"]) == (VOICE, "nods gently", "4k")
    assert h.count("heygen.assets.create") == 1 and h.count("heygen.videos.create") == 1


async def test_photo_url_and_local_audio_uploaded_as_an_asset(h: Harness) -> None:
    photo_url = upload(h.emu.base_url, png_bytes(256, 256), "image/png")
    audio = h.home / "speech.wav"
    audio.write_bytes(wav_bytes(3.0))
    prepared = await h.prepare(TalkingVideoArgs(image=photo_url, audio=str(audio), resolution="720p"))
    assert prepared.cost_estimate_usd == pytest.approx(3 * 0.05)  # from the audio's length
    job = await h.drive(h.control(prepared))
    assert job.status == "completed", job.error
    sent = h.sent()
    assert sent["image"] == {"type": "url", "url": photo_url}
    assert sent["audio_asset_id"] and "script" not in sent and "voice_id" not in sent
    assert h.count("heygen.assets.create") == 1  # the audio only: the photo went as its URL


async def test_heygen_avatar_with_its_own_voice_and_audio_url(h: Harness) -> None:
    options = HeygenOptions(engine=Engine(type="avatar_v"), output_format="mp4", fit="contain")
    job = await h.run(HeygenArgs(avatar_preset_id="look_0003", script="Hi, I am a HeyGen avatar.",
                                 aspect_ratio="9:16", options=options))
    assert job.status == "completed", job.error
    sent = h.sent()
    assert (sent["type"], sent["avatar_id"], sent["aspect_ratio"], sent["fit"]) == ("avatar", "look_0003", "9:16",
                                                                                      "contain")
    assert sent["engine"] == {"type": "avatar_v"} and "voice_id" not in sent and "output_format" not in sent
    h.emu.reset()
    audio_url = upload(h.emu.base_url, wav_bytes(2.0), "audio/wav")
    job = await h.run(TalkingVideoArgs(avatar_preset_id="look_0003", audio=audio_url))
    assert job.status == "completed", job.error
    assert h.sent()["audio_url"] == audio_url and h.count("heygen.assets.create") == 0


@pytest.mark.parametrize(("args", "field"), [
    (TalkingVideoArgs(script="Hi.", voice_id=VOICE), "image"),
    (TalkingVideoArgs(image="x.png", avatar_preset_id="look_0001", script="Hi.", voice_id=VOICE), "avatar_preset_id"),
    (TalkingVideoArgs(avatar_preset_id="look_0001", script="Hi.", audio="https://example.com/a.wav"), "audio"),
    (TalkingVideoArgs(avatar_preset_id="look_0001", audio="https://example.com/a.wav", voice_id=VOICE), "voice_id"),
    (TalkingVideoArgs(avatar_preset_id="look_0001", script="Hi.", seed=3), "seed"),
    (TalkingVideoArgs(avatar_preset_id="look_0001", script="Hi.", resolution="8k"), "resolution"),
    (TalkingVideoArgs(avatar_preset_id="look_0001"), "script"),
    (HeygenArgs(image="https://example.com/a.png", script="Hi.", voice_id=VOICE,
                options=HeygenOptions(engine=Engine())), "options.engine"),
])  # fmt: skip
async def test_bad_arguments_are_refused_before_any_request(
    h: Harness, args: TalkingVideoArgs | HeygenArgs, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await h.prepare(args)
    assert caught.value.field == field and str(caught.value).count(".") >= 1
    assert h.emu.stats()["requests_total"] == 0


async def test_a_photo_script_needs_a_heygen_voice(h: Harness) -> None:
    with pytest.raises(InvalidInput, match="list_voices\\(provider='heygen'\\)") as caught:
        await h.prepare(TalkingVideoArgs(image=h.photo(), script="Hi."))
    assert caught.value.field == "voice_id"


async def test_heygen_validation_error_names_our_argument(h: Harness) -> None:
    job = h.control(await h.prepare(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hi.", voice_id="nope")))
    with pytest.raises(ProviderError) as caught:
        await h.drive(job)
    message = str(caught.value)
    assert message.startswith("voice_id: HeyGen refused it: voice nope not found.") and "Nothing was charged" in message
    assert job.job.pending_submit is None and h.count("heygen.videos.create") == 1
    with pytest.raises(ProviderError, match=r"^avatar_preset_id: HeyGen does not know it"):
        await h.run(TalkingVideoArgs(avatar_preset_id="look_nope", script="Hi."))


async def test_insufficient_credit_is_one_sentence(h: Harness) -> None:
    h.emu.state.set_balance("heygen", _account(), 0.01)
    with pytest.raises(ProviderError, match="API wallet does not cover this video") as caught:
        await h.run(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there."))
    assert str(caught.value).count(". ") <= 1


async def test_failed_video_reason_is_a_sentence(h: Harness) -> None:
    h.emu.add_fault("heygen.videos.create:fail")
    job = await h.run(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there."))
    assert job.status == "failed"
    assert job.error == ("HeyGen could not make the video (MODERATION_REJECTED): the input image did not pass "
                         "content moderation.")


@pytest.mark.parametrize("fault", ["drop-after-commit", "500", "timeout"])
async def test_paid_submit_is_never_sent_twice(h: Harness, fault: str) -> None:
    if fault == "timeout":
        h.client.timeout = httpx.Timeout(0.5)  # the emulator holds the answer for 30 s
    h.emu.add_fault(f"heygen.videos.create:{fault}")
    ctl = h.control(await h.prepare(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there.")))
    with pytest.raises(SubmitOutcomeUnknown):
        await h.drive(ctl)
    assert ctl.job.pending_submit == "heygen.videos.create"  # the runner turns this into submit_unknown
    assert h.count("heygen.videos.create") == 1


async def test_429_on_the_submit_is_not_resent(h: Harness) -> None:
    h.emu.add_fault("heygen.videos.create:429")
    with pytest.raises(ProviderError, match="rate-limiting this API key during the paid submit"):
        await h.run(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there."))
    assert h.count("heygen.videos.create") == 1


async def test_a_restart_mid_job_resumes_polling(h: Harness) -> None:
    ctl = h.control(await h.prepare(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there.")))
    await h.drive(ctl, until=lambda job: job.step == "poll")
    stored = replace(ctl.job)  # what the ledger holds when the process dies
    async with make_client() as client:
        fresh = Harness(h.emu, h.home, client)
        job = await fresh.drive(Control(stored, h.home, client), fresh.provider)
    assert job.status == "completed", job.error and _is_mp4(job.video_path)
    assert h.count("heygen.videos.create") == 1 and h.count("heygen.videos.get") >= 2


async def test_expired_video_url_is_asked_for_again_and_captions_are_kept(h: Harness) -> None:
    h.emu.add_fault("heygen.file:expire")
    args = HeygenArgs(avatar_preset_id="look_0001", script="Captions please.",
                      options=HeygenOptions(caption=Caption()))
    job = await h.run(args)
    assert job.status == "completed", job.error
    assert job.state["url_refreshes"] == 1 and _is_mp4(job.video_path)
    assert h.emu.stats()["status_codes"]["heygen.file"] == {"403": 1, "200": 2}  # video twice, subtitles once
    srt = Path(job.state["subtitle_path"])
    assert srt.suffix == ".srt" and "Captions please." in srt.read_text()


async def test_voices_and_avatars_are_paged_with_heygens_cursor(h: Harness) -> None:
    names: list[str] = []
    cursor: str | None = None
    while True:
        page = await h.provider.list_voices(search=None, limit=20, cursor=cursor)
        names += [v.voice_id for v in page.voices]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(set(names)) == 45 and h.count("heygen.voices") == 3
    everything = await h.provider.list_avatar_presets(search=None, limit=100, cursor=None)  # HeyGen's cap is 50
    assert len(everything.presets) == 30 and everything.next_cursor is None
    first = await h.provider.list_avatar_presets(search=None, limit=25, cursor=None)
    assert len(first.presets) == 25 and first.next_cursor
    rest = await h.provider.list_avatar_presets(search=None, limit=25, cursor=first.next_cursor)
    assert len(rest.presets) == 5 and rest.next_cursor is None
    assert first.presets[0].avatar_preset_id == "look_0000" and first.presets[0].models == [m.MODEL_ID]
    spanish = await h.provider.list_voices(search="spanish", limit=100, cursor=None)
    assert spanish.voices and all(v.language == "Spanish" for v in spanish.voices) and spanish.notes
    with pytest.raises(InvalidInput, match=r"^cursor:"):
        await h.provider.list_voices(search=None, limit=20, cursor="not-a-token")


async def test_wallet_balance(h: Harness) -> None:
    account = await h.provider.account()
    assert (account.configured, account.balance, account.balance_unit) == (True, 100.0, "USD")
    assert account.models == [m.MODEL_ID]


async def test_429_on_reads_waits_for_retry_after(h: Harness) -> None:
    ctl = h.control(await h.prepare(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hello there.")))
    await h.drive(ctl, until=lambda job: job.step == "poll")
    h.emu.add_fault("heygen.videos.get:429")  # the emulator says Retry-After: 1
    started = time.monotonic()
    data = await h.provider.status(ctl.job.state["request_id"], ctl)
    assert time.monotonic() - started >= 0.9 and data["status"] in ("waiting", "pending", "processing", "completed")
    assert h.emu.stats()["status_codes"]["heygen.videos.get"] == {"429": 1, "200": 1}


async def test_heygen_has_no_cancel() -> None:
    assert m.REMOTE_CANCEL is False
    assert "still renders it and charges" in m.CANCEL_NOTE
    assert not hasattr(HeygenProvider, "cancel")


async def test_doctor_check(h: Harness) -> None:
    ok = await check_key(h.client, KEY, h.emu.base_url)
    assert ok.verdict == "ok" and "100" in ok.sentence and KEY not in ok.sentence
    rejected = await check_key(h.client, "bad-key", h.emu.base_url)
    assert rejected.verdict == "rejected" and "HEYGEN_API_KEY" in rejected.sentence
    unreachable = await check_key(h.client, KEY, f"http://127.0.0.1:{free_port()}", timeout_s=2)
    assert unreachable.verdict == "unreachable"


def _account() -> str:
    from talking_video_mcp.emulator.state import account_id

    return account_id(KEY)



async def test_common_arguments_map_to_heygens_names(h: Harness) -> None:
    heygen = h.provider.arguments(TalkingVideoArgs(avatar_preset_id="look_0001", script="Hi.", fit="contain",
                                                   video_orientation="portrait", resolution="720p"))
    assert (heygen.aspect_ratio, heygen.options.fit, heygen.resolution) == ("9:16", "contain", "720p")
    assert h.provider.estimate_cost(m.MODEL_ID, TalkingVideoArgs(avatar_preset_id="x", audio="a.wav")) is None
    words = " ".join(["word"] * 25)  # 10 s
    assert h.provider.estimate_cost(m.MODEL_ID, TalkingVideoArgs(avatar_preset_id="x", script=words)) == 0.5
    with pytest.raises(InvalidInput, match="prompt"):
        h.provider.arguments(TalkingVideoArgs(avatar_preset_id="x", script="Hi.", custom_motion_prompt="wave"))
