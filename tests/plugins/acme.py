"""A provider defined outside the product, the way a third-party package would write one: the worked example of
README's "Adding a provider". `PLUGIN` is what its entry point names:

    [project.entry-points."talking_video_mcp.providers"]
    acme = "tests.plugins.acme:PLUGIN"

Its "cloud" is `AcmeService`, in this process (the tests send no traffic anywhere): submit, status, balance."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from talking_video_mcp.domain.provider import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, StoredRequest, TalkingVideoArgs, ToolArgs
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.models import AvatarPresetList, ProviderAccount, VoiceList
from talking_video_mcp.providers.plugin import BuildContext, ProviderPlugin, ProviderSettings

MODEL = "acme/talker-1"
PRICE_PER_SECOND_USD = 0.1


class AcmeService:
    """Acme's API as the tests see it: a job is done at its second status read, fails (saying why) when its
    text asks to, and runs on forever when its text says "until canceled"."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.submits: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def submit(self, body: dict[str, Any]) -> str:
        job_id = f"acme-{next(self._ids)}"
        self.submits.append(body)
        failing = "fail" in str(body.get("text", "")).lower()
        self.jobs[job_id] = {"status": "failed" if failing else "running", "reads": 0,
                             "forever": "until canceled" in str(body.get("text", "")).lower(),
                             "reason": "no face was visible in the photo" if failing else None}
        return job_id

    def status(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        job["reads"] += 1
        if job["status"] == "running" and job["reads"] >= 2 and not job["forever"]:
            job["status"] = "done"
        return job


SERVICE = AcmeService()


class AcmeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    style: Literal["calm", "lively"] = Field(default="calm", description="How much the head moves")


class AcmeBody(BaseModel):
    model_config = ConfigDict(frozen=True)
    text: str
    voice: str
    seconds: int
    style: Literal["calm", "lively"]
    direction: str | None = None


class AcmeRequest(StoredRequest):
    model: Literal["acme/talker-1"] = MODEL
    payload: AcmeBody


class AcmeSettings(ProviderSettings):
    api_key: SecretStr | None = Field(default=None, alias="ACME_API_KEY")
    base_url: str = Field(default="https://api.acme.invalid", alias="ACME_BASE_URL")


class AcmeProvider:
    name = "acme"
    heavy_steps: frozenset[str] = frozenset()

    def __init__(self, settings: AcmeSettings) -> None:
        self.models = PLUGIN.models
        self._key = settings.key()

    @property
    def configured(self) -> bool:
        return bool(self._key)

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        seconds = args.duration if isinstance(args, TalkingVideoArgs) else None
        return round((seconds or 5) * PRICE_PER_SECOND_USD, 4)

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        if not isinstance(args, TalkingVideoArgs) or not (args.script or "").strip():
            raise InvalidInput("script", f"{MODEL} speaks a script; send one.")
        body = AcmeBody(text=args.script or "", voice=args.voice_id or "acme-default", seconds=args.duration or 5,
                        style=args.option("style", "calm"), direction=args.prompt)
        request = AcmeRequest(payload=body, display=Display(script=args.script, voice_id=body.voice))
        return PreparedJob(self.name, request, "submit", self.estimate_cost(model, args))

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        assert isinstance(job.request, AcmeRequest)
        if job.step == "submit":
            payload = job.request.payload.model_dump()

            async def send() -> str:
                return SERVICE.submit(payload)

            acme_id = await ctl.paid_submit("acme.submit", send)
            await ctl.update(state={**job.state, "acme_id": acme_id}, step="poll", status="processing", progress=0.1)
            return ctl.scaled(0.05)
        remote = SERVICE.status(job.state["acme_id"])
        if remote["status"] == "failed":
            await ctl.fail(f"Acme reported the job failed: {remote['reason']}")
            return None
        if remote["status"] == "done":
            await ctl.finish()
            return None
        return ctl.scaled(0.05)

    async def account(self) -> ProviderAccount:
        return ProviderAccount(provider="acme", configured=self.configured, endpoint="https://api.acme.invalid",
                               balance=42.0 if self.configured else None, balance_unit="USD", models=[MODEL])

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        return VoiceList(voices=[])

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        return AvatarPresetList(presets=[])

    async def aclose(self) -> None:
        return None


def _build(ctx: BuildContext) -> AcmeProvider:
    assert isinstance(ctx.settings, AcmeSettings)
    return AcmeProvider(ctx.settings)


def _cheaper(model: str, args: ToolArgs) -> list[str]:
    return ["a shorter duration"] if isinstance(args, TalkingVideoArgs) and (args.duration or 5) > 5 else []


PLUGIN = ProviderPlugin(
    name="acme", title="Acme", build=_build, settings=AcmeSettings, requests=(AcmeRequest,), advice=_cheaper,
    job_ids=("acme_id",),
    models=(ModelSpec(MODEL, "acme", "Acme Talker 1", 20.0, "photo + script → talking head (test provider)",
                      takes=frozenset({"image", "avatar_preset_id", "script", "voice_id", "prompt", "duration"}),
                      options=AcmeOptions, price_per_second_usd=PRICE_PER_SECOND_USD, max_speech_s=60.0),),
)
