"""Segmind's async queue API for Higgsfield Speak v2 and HeyGen Avatar IV."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal, cast

import httpx

from talking_video_mcp import provider_http
from talking_video_mcp.domain.advice import TOLERANCE_S
from talking_video_mcp.domain.paging import paginate
from talking_video_mcp.domain.provider import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, TalkingVideoArgs, ToolArgs, warnings_of
from talking_video_mcp.errors import (
    AuthRejected,
    InsufficientCredits,
    InvalidInput,
    ProviderError,
    RateLimited,
    RecordNotFound,
    SubmitOutcomeUnknown,
    TransientProviderError,
)
from talking_video_mcp.models import AvatarPresetList, ProviderAccount, Voice, VoiceList
from talking_video_mcp.provider_http import json_or_none
from talking_video_mcp.providers.access import CloudProvider, ProviderAccess, account_of
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.polling import next_poll_delay, progress_estimate
from talking_video_mcp.providers.segmind import catalog as cat
from talking_video_mcp.providers.segmind.models import MODELS
from talking_video_mcp.providers.segmind.requests import (
    MODEL_AVATAR,
    MODEL_S2V,
    AvatarIVBody,
    AvatarIVRequest,
    Speech2VideoBody,
    Speech2VideoRequest,
)

log = logging.getLogger(__name__)

Step = Literal["tts", "upload", "submit", "poll", "result", "download"]

_ORIENTATIONS: dict[str | None, Literal["landscape", "portrait"]] = {None: "landscape", "16:9": "landscape",
                                                                      "9:16": "portrait"}


def extract_output_url(output: Any) -> str | None:
    """Segmind's video `output` shape is not documented: accept a URL string, a JSON string,
    an object with `video_url`/`url`, or a list of any of these."""
    if isinstance(output, str):
        text = output.strip()
        if text.startswith(("http://", "https://")):
            return text
        if text[:1] in "[{\"":
            try:
                return extract_output_url(json.loads(text))
            except ValueError:
                return None
        return None
    if isinstance(output, Mapping):
        for key in ("video_url", "url", "output", "video"):
            found = extract_output_url(output.get(key))
            if found:
                return found
        return None
    if isinstance(output, list):
        for item in output:
            found = extract_output_url(item)
            if found:
                return found
    return None


def error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail"):
            if body.get(key):
                return str(body[key])[:500]
    return str(body)[:300]


def resolve_heygen_voice(voice_id: str) -> str:
    lowered = voice_id.strip().lower()
    if cat.HEX32.match(lowered):
        return lowered
    for name, vid in cat.HEYGEN_VOICES:
        if name.lower() == lowered:
            return vid
    names = ", ".join(name for name, _ in cat.HEYGEN_VOICES[:5])
    raise InvalidInput(
        "voice_id",
        f"{voice_id!r} is not a HeyGen voice: pass a 32-character hex id or a published name "
        f"({names}, …; see list_voices(provider='segmind')).",
    )



def _voice_shown(args: TalkingVideoArgs, body: AvatarIVBody) -> str | None:
    """The voice the job view names: the one asked for as it was asked (a name stays a name), else the default
    the video is spoken with, by its published name where it has one."""
    if body.voice_id is None:
        return None
    if args.voice_id:
        return args.voice_id
    return next((name for name, vid in cat.HEYGEN_VOICES if vid == body.voice_id), body.voice_id)

# Offline voices speak 2.5-3 words a second; 2 a second plus a second bounds a script's spoken length from above,
# so a duration chosen from it holds the speech (the speech step still checks the real length).
_WORDS_PER_S = 2.0


def _script_seconds(script: str | None) -> float:
    return len((script or "").split()) / _WORDS_PER_S + 1.0


def _shortest_holding(seconds: float) -> int:
    """The shortest Speak v2 duration that holds `seconds` of speech (the longest when none does)."""
    return next((d for d in cat.DURATIONS if seconds <= d + TOLERANCE_S), cat.DURATIONS[-1])


class SegmindProvider(CloudProvider):
    """Validation, cost estimates and the submit → poll → result → download steps."""

    name = "segmind"
    heavy_steps: frozenset[str] = frozenset()
    models: tuple[ModelSpec, ...] = MODELS

    def __init__(self, access: ProviderAccess, *, upload_url: str, inputs: InputsStage) -> None:
        super().__init__(access, inputs)
        self.upload_url = upload_url

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self._access.api_key or "", "content-type": "application/json"}

    # ---------------------------------------------------------------- validation

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        if not isinstance(args, TalkingVideoArgs):
            return None
        if model == MODEL_S2V:
            # Audio is measured only in prepare: until then, the longest duration bounds the price from above.
            duration = args.duration or (_shortest_holding(_script_seconds(args.script)) if args.script
                                         else cat.DURATIONS[-1])
            return cat.SPEECH2VIDEO_PRICE_USD.get((args.option("quality", "high"), duration))
        if model == MODEL_AVATAR:
            return cat.AVATAR_IV_PRICE_USD
        return None

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        if not isinstance(args, TalkingVideoArgs):
            raise InvalidInput("model", f"{model!r} makes talking videos; use generate_talking_video.")
        if model == MODEL_S2V:
            return await self._prepare_s2v(args)
        if model == MODEL_AVATAR:
            return await self._prepare_avatar(args)
        raise InvalidInput("model", f"{model!r} is not a Segmind model; use {MODEL_S2V} or {MODEL_AVATAR}.")

    async def _prepare_s2v(self, args: TalkingVideoArgs) -> PreparedJob:
        quality = args.option("quality", "high")
        if args.duration is not None and args.duration not in cat.DURATIONS:
            raise InvalidInput("duration", f"{MODEL_S2V} makes videos of 5, 10 or 15 s; send one of those.")
        seed = 42 if args.seed is None else args.seed
        if not cat.SEED_MIN <= seed <= cat.SEED_MAX:
            raise InvalidInput("seed", f"must be between {cat.SEED_MIN} and {cat.SEED_MAX}.")
        image = await self._inputs.image(args.image, args.avatar_preset_id, upload_supported=True)
        faces = await self._inputs.faces(image)
        audio, tts = await self._inputs.audio_or_script(
            args.audio, args.script, args.voice_id, duration_limit_s=float(args.duration or cat.DURATIONS[-1]),
            needs_wav=True, script_ok=True, model=MODEL_S2V,
        )
        # Left out, the duration is the shortest that holds the speech (Speak v2 bills by it): the audio's measured
        # length, or a script's length bounded from above by its words (it is spoken after this, in the job).
        duration = args.duration or _shortest_holding(
            audio.duration_s or 0.0 if audio is not None else _script_seconds(tts.script if tts else ""))
        if tts is not None:
            tts = tts.model_copy(update={"max_seconds": float(duration)})
        body = Speech2VideoBody(
            prompt=args.prompt or cat.DEFAULT_PROMPT,
            quality=cast(Literal["high", "mid"], quality),
            # The two docs disagree on the default: always send it explicitly.
            enhance_prompt=bool(args.option("enhance_prompt")),
            seed=seed,
            duration=cast(Literal[5, 10, 15], duration),
        )
        request = Speech2VideoRequest(
            payload=body, inputs={"input_image": image, "input_audio": audio}, tts=tts,
            display=_display(args).model_copy(update={"voice_id": tts.voice_id if tts else args.voice_id}),
            warnings=warnings_of(faces.message, tts.warning if tts else None),
        )
        cost = cat.SPEECH2VIDEO_PRICE_USD.get((quality, duration))
        return PreparedJob(self.name, request, "tts" if tts else "upload", cost)

    async def _prepare_avatar(self, args: TalkingVideoArgs) -> PreparedJob:
        if args.aspect_ratio not in _ORIENTATIONS:
            raise InvalidInput("aspect_ratio", f"{MODEL_AVATAR} makes 16:9 or 9:16 videos; send one of those.")
        script = (args.script or "").strip()
        if not script and not args.audio:
            raise InvalidInput("script", "give a script for the avatar to speak, or an audio file/URL as audio.")
        if script and args.audio:
            raise InvalidInput("audio", "give either a script or audio for heygen-avatar-iv, not both.")
        voice = resolve_heygen_voice(args.voice_id) if args.voice_id else cat.DEFAULT_VOICE_ID
        if args.audio and args.voice_id:
            raise InvalidInput("voice_id", "only applies with a script; your audio already carries the voice.")
        body = AvatarIVBody(
            video_title=(args.option("video_title") or "").strip() or (script[:60] if script else "Talking video"),
            video_orientation=_ORIENTATIONS[args.aspect_ratio],
            fit=args.option("fit", "cover"),
            enhance_custom_motion_prompt=bool(args.option("enhance_custom_motion_prompt")),
            script=script or None,
            voice_id=voice if script else None,
            custom_motion_prompt=args.prompt or None,
            resolution=args.resolution or None,
        )
        image = await self._inputs.image(args.image, args.avatar_preset_id, upload_supported=True)
        faces = await self._inputs.faces(image)
        audio = None
        if args.audio:
            audio, _ = await self._inputs.audio_or_script(
                args.audio, None, None, duration_limit_s=None, needs_wav=False, script_ok=False
            )
        request = AvatarIVRequest(
            payload=body, inputs={"image_url": image, "audio_url": audio},
            display=_display(args).model_copy(update={"title": body.video_title, "voice_id": _voice_shown(args, body)}),
            warnings=warnings_of(faces.message),
        )
        return PreparedJob(self.name, request, "upload", cat.AVATAR_IV_PRICE_USD)

    # ---------------------------------------------------------------- steps

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        step = cast(Step, job.step or "upload")
        model = job.model.split("/", 1)[1]
        match step:
            case "tts":
                await self._inputs.run_tts(job, ctl, target="input_audio")
                await ctl.update(step="upload")
                return 0.0
            case "upload":
                retry = self._job_retry(ctl)
                await self._inputs.upload_pending(job, ctl, lambda data_url: self._upload(data_url, retry))
                await ctl.update(step="submit")
                return 0.0
            case "submit":
                return await self._submit(job, ctl, model)
            case "poll":
                return await self._poll(job, ctl, model)
            case "result":
                return await self._result(job, ctl)
            case "download":
                assert job.output_url
                await ctl.update(progress=0.97)
                await ctl.download(job.output_url)
                await ctl.finish()
                return None
        raise ProviderError(f"unknown step {step!r}")

    def _job_retry(self, ctl: JobControl) -> provider_http.RetryPolicy:
        """Backoff for a job's reads, in provider time like its polls."""
        return self._access.retry.scaled(ctl.scaled(1.0))

    async def _upload(self, data_url: str, retry: provider_http.RetryPolicy) -> str:
        response = await self._access.send(
            "POST", self.upload_url, idempotent=True, retry=retry, headers=self._headers(),
            json={"data_urls": [data_url]}, describe="the file upload",
        )
        self._raise_for_status(response, "the file upload")
        # Uploads are free and safe to repeat: an answer that cannot be read is tried again later.
        try:
            body = response.json()
        except ValueError:
            raise TransientProviderError("Segmind's upload answer was not JSON") from None
        urls = body.get("urls") or body.get("file_urls") if isinstance(body, Mapping) else None
        if not urls or not isinstance(urls, list) or not isinstance(urls[0], str):
            raise TransientProviderError("Segmind's upload answer carried no file URL")
        return urls[0]

    async def _submit(self, job: JobRecord, ctl: JobControl, model: str) -> float | None:
        request = job.request
        assert isinstance(request, Speech2VideoRequest | AvatarIVRequest)
        payload: dict[str, Any] = request.payload.model_dump(mode="json", exclude_none=True)
        for name, value in (job.state.get("uploaded") or {}).items():
            payload[name] = value
        for name, spec in request.inputs.items():
            if spec is not None and spec.url and name not in payload:
                payload[name] = spec.url

        async def post() -> httpx.Response:
            return await self._access.send(
                "POST", f"{self.base_url}/v2/{model}", idempotent=False, headers=self._headers(), json=payload,
                describe="the paid submit",
            )

        response = await ctl.paid_submit("segmind.submit", post)
        if response.status_code in (502, 504):
            raise SubmitOutcomeUnknown(
                f"Segmind answered HTTP {response.status_code} to the paid submit; it may have been accepted"
            )
        if response.status_code == 406:
            raise InsufficientCredits(await self._credits_sentence(response), status_code=406)
        self._raise_for_status(response, "the submit")
        try:
            body = response.json()
        except ValueError:
            raise SubmitOutcomeUnknown("Segmind's answer to the submit was not JSON") from None
        if not isinstance(body, Mapping) or not all(body.get(k) for k in ("request_id", "status_url", "response_url")):
            raise SubmitOutcomeUnknown("Segmind's answer to the submit had no request_id/status_url/response_url")
        state = {
            **job.state,
            "request_id": body["request_id"],
            "status_url": body["status_url"],
            "response_url": body["response_url"],
        }
        credits = response.headers.get("x-remaining-credits")
        if credits:
            state["remaining_credits"] = credits
        # This write records the request id and clears the in-flight mark together (see paid_submit).
        await ctl.update(state=state, step="poll", status="queued", progress=0.05)
        return ctl.scaled(next_poll_delay(0.0, self._typical(job)))

    def _typical(self, job: JobRecord) -> float:
        return cat.TYPICAL_SECONDS.get(job.model.split("/", 1)[1], 300.0)

    def _elapsed(self, job: JobRecord, ctl: JobControl, now: float) -> float:
        started = job.submitted_at or job.created_at
        return max(0.0, now - started) / max(ctl.scaled(1.0), 1e-9)

    async def _poll(self, job: JobRecord, ctl: JobControl, model: str) -> float | None:
        url = job.state["status_url"]
        # A check that keeps failing after its retries raises: the runner tries again later, with
        # backoff, and gives up (saying the job was submitted) after a bounded number of attempts.
        response = await self._access.send(
            "GET", url, idempotent=True, retry=self._job_retry(ctl), headers=self._headers(),
            describe="the status check",
        )
        await ctl.update(polls=job.polls + 1)
        body = json_or_none(response)
        status = str(body.get("status", "")).upper() if isinstance(body, Mapping) else ""
        if status == "FAILED" or response.status_code == 422:
            reason = (body.get("error") if isinstance(body, Mapping) else None) or "no reason given"
            await ctl.fail(f"Segmind reported the job FAILED: {reason}")
            return None
        if response.status_code == 404:
            await ctl.fail(
                "Segmind no longer knows this request (records live one hour); the video could not be fetched.",
                status="expired",
            )
            return None
        self._raise_for_status(response, "the status check")
        if not isinstance(body, Mapping) or not body.get("status"):
            raise TransientProviderError("Segmind's status answer carried no status")
        if status == "COMPLETED":
            await ctl.update(step="result", status="processing", progress=0.95)
            return 0.0
        elapsed = self._elapsed(job, ctl, ctl.job.updated_at)
        if status in ("QUEUED", "PROCESSING"):
            await ctl.update(
                status="processing" if status == "PROCESSING" else "queued",
                progress=max(job.progress, progress_estimate(elapsed, self._typical(job))),
            )
        else:
            log.warning("unexpected Segmind status %r for %s; polling on", status, job.id)
        return ctl.scaled(next_poll_delay(elapsed, self._typical(job)))

    async def _result(self, job: JobRecord, ctl: JobControl) -> float | None:
        response = await self._access.send(
            "GET", job.state["response_url"], idempotent=True, retry=self._job_retry(ctl), headers=self._headers(),
            describe="the result request",
        )
        if response.status_code == 404:
            await ctl.fail("Segmind no longer knows this request (records live one hour).", status="expired")
            return None
        body = json_or_none(response)
        if response.status_code == 422 or (isinstance(body, Mapping) and str(body.get("status")).upper() == "FAILED"):
            reason = body.get("error") if isinstance(body, Mapping) else None
            await ctl.fail(f"Segmind reported the job FAILED: {reason or 'no reason given'}")
            return None
        self._raise_for_status(response, "the result request")
        if not isinstance(body, Mapping):
            raise TransientProviderError("Segmind's result was not JSON")
        url = extract_output_url(body.get("output"))
        if not url:
            if str(body.get("status", "")).upper() in ("QUEUED", "PROCESSING"):
                await ctl.update(step="poll")
                return ctl.scaled(10.0)
            raise TransientProviderError("Segmind's result carried no video URL")
        metrics = body.get("metrics") if isinstance(body.get("metrics"), Mapping) else {}
        state = {**job.state, "metrics": dict(metrics or {})}
        await ctl.update(output_url=url, step="download", state=state)
        return 0.0

    def _raise_for_status(self, response: httpx.Response, what: str) -> None:
        code = response.status_code
        if code < 400:
            return
        message = error_message(response)
        if code == 400:
            raise ProviderError(f"Segmind rejected {what}: {message}", status_code=400)
        if code in (401, 403):
            raise AuthRejected(
                "Segmind rejected the API key (HTTP "
                f"{code}); check SEGMIND_API_KEY or the key's permissions.", status_code=code
            )
        if code == 406:
            raise InsufficientCredits(
                f"Segmind says the account has insufficient credits ({message}); top up, then try again.",
                status_code=406,
            )
        if code == 404:
            raise RecordNotFound(f"Segmind answered 404 to {what}: {message}", status_code=404)
        if code == 410:
            raise ProviderError(f"Segmind has retired this model: {message}", status_code=410)
        if code == 429:
            raise RateLimited(f"Segmind rate-limited {what}; nothing was charged.")
        raise ProviderError(f"Segmind answered HTTP {code} to {what}: {message}", status_code=code)

    async def _credits_sentence(self, response: httpx.Response) -> str:
        """The 406 answer, with the account's balance when Segmind tells it."""
        sentence = f"Segmind says the account has insufficient credits ({error_message(response)})"
        balance = response.headers.get("x-remaining-credits")
        if balance is None:
            balance_value = (await self.account()).balance
            balance = None if balance_value is None else f"{balance_value:g}"
        if balance is not None:
            sentence += f"; balance: {balance} credits"
        return sentence + "; top up, then try again."

    # ---------------------------------------------------------------- catalog and account

    async def account(self) -> ProviderAccount:
        return await account_of("segmind", configured=self.configured, endpoint=self.base_url,
                                models=[m.model_id for m in self.models], reads=self._access.reads,
                                read=self._read_credits)

    async def _read_credits(self, info: ProviderAccount) -> None:
        url = f"{self.base_url}/v1/get-user-credits"
        response = await self._access.send("GET", url, idempotent=True, headers=self._headers(),
                                           describe="the credits request", urgent=True)
        self._raise_for_status(response, "the credits request")
        credits, free = response.json().get("credits"), response.json().get("free-credits")
        info.balance, info.balance_unit = (None if credits is None else float(credits)), "credits (USD)"
        info.free_credits = None if free is None else float(free)

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        voices = [
            Voice(voice_id=vid, name=name, provider="segmind", models=[MODEL_AVATAR],
                  description="HeyGen voice (Avatar IV speaks the script with it)")
            for name, vid in cat.HEYGEN_VOICES
        ]
        if search:
            voices = [v for v in voices if search.lower() in v.name.lower()]
        page, next_cursor = paginate(voices, limit, cursor)
        return VoiceList(
            voices=page, total=len(voices), next_cursor=next_cursor,
            notes=["HeyGen has 61 voices; only these 10 are published by name. Any 32-hex HeyGen voice id works."],
        )

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        return AvatarPresetList(presets=[], total=0, next_cursor=None)

    async def aclose(self) -> None:
        return None



def _display(args: TalkingVideoArgs) -> Display:
    return Display(script=args.script, voice_id=args.voice_id, prompt=args.prompt, title=args.option("video_title"))
