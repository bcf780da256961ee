"""Unifically's Higgsfield API: speak (with an optional TTS step), TTS, image→video, ads, templates."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Literal, cast

import httpx

from talking_video_mcp.domain.paging import paginate
from talking_video_mcp.domain.provider import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import (
    Display,
    ImageVideoArgs,
    InputFile,
    ProductAdArgs,
    SpeechArgs,
    TalkingVideoArgs,
    ToolArgs,
    warnings_of,
)
from talking_video_mcp.errors import (
    AuthRejected,
    InsufficientCredits,
    InvalidInput,
    ProviderError,
    RateLimited,
    SubmitOutcomeUnknown,
    TransientProviderError,
)
from talking_video_mcp.models import AvatarPreset, AvatarPresetList, ProviderAccount, Voice, VoiceList
from talking_video_mcp.provider_http import json_or_none
from talking_video_mcp.providers.access import CloudProvider, ProviderAccess, account_of
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.polling import next_poll_delay, progress_estimate
from talking_video_mcp.providers.reads import Reading
from talking_video_mcp.providers.unifically import catalog as cat
from talking_video_mcp.providers.unifically.models import models
from talking_video_mcp.providers.unifically.requests import (
    HiggsfieldTtsBody,
    HiggsfieldTtsRequest,
    ImageVideoBody,
    ImageVideoRequest,
    ProductAdBody,
    ProductAdRequest,
    SpeakBody,
    SpeakRequest,
    UnificallyRequest,
)

log = logging.getLogger(__name__)

TEMPLATE_TTL_S = 600.0
MAX_TEMPLATE_PAGES = 50
Step = Literal["tts_submit", "tts_poll", "submit", "poll", "download"]


def items_of(body: Any) -> tuple[list[dict[str, Any]], Any]:
    """Template answers come as a bare list or `{items,total,cursor}`, possibly inside `{code,data}`."""
    if isinstance(body, Mapping) and isinstance(body.get("data"), (Mapping, list)) and "items" not in body:
        body = body["data"]
    if isinstance(body, list):
        return [dict(i) for i in body if isinstance(i, Mapping)], None
    if isinstance(body, Mapping):
        items = body.get("items") or []
        return [dict(i) for i in items if isinstance(i, Mapping)], body.get("cursor")
    return [], None


def sub_map(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A nested object, or {} when it is missing or not an object."""
    value = data.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def envelope_data(body: Any) -> dict[str, Any]:
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        return dict(body["data"])
    return {}


class UnificallyProvider(CloudProvider):
    name = "unifically"
    heavy_steps: frozenset[str] = frozenset()
    models: tuple[ModelSpec, ...] = models()

    def __init__(self, access: ProviderAccess, *, inputs: InputsStage, unit_price_usd: float) -> None:
        super().__init__(access, inputs)
        self.unit_price_usd = unit_price_usd
        self.models = models(unit_price_usd)

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._access.api_key or ''}", "content-type": "application/json"}

    def cost(self, kind: str) -> float:
        return round(cat.RELATIVE_COST[kind] * self.unit_price_usd, 4)

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        if model == cat.MODEL_SPEAK and isinstance(args, TalkingVideoArgs):
            return self.cost("talking") + (self.cost("tts") if args.script else 0.0)
        if model == cat.MODEL_TTS:
            return self.cost("tts")
        if model == cat.MODEL_IMAGE_VIDEO and isinstance(args, ImageVideoArgs):
            return self.cost(args.variant) if args.variant in cat.IMAGE_VIDEO_MODELS else None
        if model == cat.MODEL_ADS:
            return self.cost("ad")
        return None

    # ---------------------------------------------------------------- templates

    async def templates_reading(self, kind: str) -> Reading[list[dict[str, Any]]]:
        """The catalogue /higgsfield/tpl/{kind}, cached for a while; never waits on the request budget."""
        return await self._access.reads.read(f"templates:{kind}", lambda: self._fetch_templates(kind),
                                             ttl_s=TEMPLATE_TTL_S)

    async def templates(self, kind: str) -> list[dict[str, Any]]:
        """Every item of the catalogue, however old; a catalogue not read yet is a ProviderError saying when."""
        return _items(kind, await self.templates_reading(kind))

    async def _with_age(self, kind: str, what: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The catalogue, and a sentence when it is an old copy (the request budget is busy)."""
        reading = await self.templates_reading(kind)
        note = reading.note(what)
        return _items(kind, reading), [note] if note else []

    async def _fetch_templates(self, kind: str) -> list[dict[str, Any]]:
        """Every item of /higgsfield/tpl/{kind}, fetched page by page (urgent reads: someone is waiting)."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        cursor: Any = None
        for _ in range(MAX_TEMPLATE_PAGES):
            params: dict[str, Any] = {"size": 100}
            if cursor is not None:
                params["cursor"] = cursor
            response = await self._access.send(
                "GET", f"{self.base_url}/higgsfield/tpl/{kind}", idempotent=True, headers=self._headers(),
                params=params, describe=f"the {kind} list", urgent=True,
            )
            self._raise_for_http(response, f"the {kind} list")
            page, cursor = items_of(json_or_none(response))
            fresh = [i for i in page if str(i.get("id")) not in seen]
            seen.update(str(i.get("id")) for i in fresh)
            items.extend(fresh)
            if cursor is None or not fresh:
                break
        return items

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        items, notes = await self._with_age("voices", "voice list")
        voices = [
            Voice(voice_id=str(v["id"]), name=str(v.get("name") or v["id"]), provider="unifically",
                  gender=v.get("gender"), description=", ".join(map(str, v.get("categories") or [])) or None,
                  preview_url=v.get("voice_url"), models=[cat.MODEL_SPEAK, cat.MODEL_TTS])
            for v in items
        ]
        if search:
            voices = [v for v in voices if search.lower() in v.name.lower()]
        page, next_cursor = paginate(voices, limit, cursor)
        return VoiceList(voices=page, total=len(voices), next_cursor=next_cursor, notes=notes)

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        presets = []
        items, notes = await self._with_age("avatar-presets", "avatar preset list")
        for item in items:
            media = sub_map(item, "media")
            presets.append(AvatarPreset(
                avatar_preset_id=str(item["id"]), name=str(item.get("name") or item["id"]), provider="unifically",
                image_url=media.get("url"), width=media.get("width"), height=media.get("height"),
                models=[cat.MODEL_SPEAK],
            ))
        if search:
            presets = [p for p in presets if search.lower() in p.name.lower()]
        page, next_cursor = paginate(presets, limit, cursor)
        return AvatarPresetList(presets=page, total=len(presets), next_cursor=next_cursor, notes=notes)

    async def _find(self, kind: str, item_id: str) -> dict[str, Any] | None:
        for item in await self.templates(kind):
            if str(item.get("id")) == item_id:
                return item
        return None

    # ---------------------------------------------------------------- validation

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        if model == cat.MODEL_SPEAK and isinstance(args, TalkingVideoArgs):
            return await self._prepare_speak(args)
        if model == cat.MODEL_TTS and isinstance(args, SpeechArgs):
            body = await self._tts_body(args.text, args.voice_id, args)
            request = HiggsfieldTtsRequest(payload=body, display=Display(script=body.prompt, voice_id=body.voice_id))
            return PreparedJob(self.name, request, "submit", self.cost("tts"), kind="speech")
        if model == cat.MODEL_IMAGE_VIDEO and isinstance(args, ImageVideoArgs):
            return await self._prepare_image_video(args)
        if model == cat.MODEL_ADS and isinstance(args, ProductAdArgs):
            return await self._prepare_ads(args)
        raise InvalidInput("model", f"{model!r} is not a Unifically model for this tool.")

    async def _image_url(self, value: str | None, preset: str | None = None, field: str = "image") -> str:
        if preset:
            if value:
                raise InvalidInput("avatar_preset_id", "give either image or avatar_preset_id, not both.")
            item = await self._find("avatar-presets", preset)
            media = sub_map(item, "media") if item else {}
            if not media.get("url"):
                raise InvalidInput(
                    "avatar_preset_id",
                    f"{preset!r} is not a Unifically avatar preset; see list_avatar_presets(provider='unifically').",
                )
            return str(media["url"])
        spec = await self._inputs.image(value, field=field, upload_supported=False)
        return str(spec.url)

    async def _prepare_speak(self, args: TalkingVideoArgs) -> PreparedJob:
        quality = args.option("quality", "basic")
        if args.voice_id and not args.script:
            raise InvalidInput("voice_id", "only applies with a script; your audio already carries the voice.")
        sources = [k for k in ("audio", "audio_task_id", "script") if getattr(args, k)]
        if len(sources) != 1:
            given = " and ".join(sources) if sources else "none"
            raise InvalidInput(
                "audio", f"give exactly one of audio (URL), audio_task_id (a finished text_to_speech job) or script "
                f"with a voice_id; you gave {given}.",
            )
        image_url = await self._image_url(args.image, args.avatar_preset_id)
        faces = None if args.avatar_preset_id else await self._inputs.faces(InputFile(url=image_url))
        audio_url = speech = None
        if args.audio:
            audio_url = await self._inputs.url_only(args.audio, field="audio", kind="audio")
        elif not args.audio_task_id:
            speech = await self._tts_body(args.script or "", args.voice_id, None)
        body = SpeakBody(
            image_url=image_url, prompt=args.prompt or cat.DEFAULT_SPEAK_PROMPT,
            quality=cast(Literal["basic", "high"], quality),
            enhance_prompt=bool(args.option("enhance_prompt", True)), seed=args.seed,
            audio_url=audio_url, audio_task_id=(args.audio_task_id or "").strip() or None,
        )
        request = SpeakRequest(payload=body, speech=speech, display=Display(script=args.script, voice_id=args.voice_id),
                               warnings=warnings_of(faces.message if faces else None))
        cost = self.estimate_cost(cat.MODEL_SPEAK, args)
        return PreparedJob(self.name, request, "tts_submit" if speech else "submit", cost)

    async def _tts_body(self, text: str, voice: str | None, args: SpeechArgs | None) -> HiggsfieldTtsBody:
        text = text.strip()
        if not text:
            raise InvalidInput("text", "give the text to speak.")
        if not voice:
            raise InvalidInput("voice_id", "pick a voice from list_voices(provider='unifically').")
        if await self._find("voices", voice) is None:
            raise InvalidInput(
                "voice_id", f"{voice!r} is not a Higgsfield voice; pick one from list_voices(provider='unifically')."
            )
        sound = (args.option("sound_id") if args else None) or ""
        if sound and await self._find("sounds", sound) is None:
            raise InvalidInput("options.sound_id", "is not a Higgsfield sound; see list_sounds.")
        numbers: dict[str, float] = {}
        for name, (low, high, default) in cat.TTS_RANGES.items():
            value = args.option(name) if args else None
            value = default if value is None else value
            if not low <= value <= high:
                raise InvalidInput(f"options.{name}", f"must be between {low:g} and {high:g} (default {default:g}).")
            numbers[name] = value
        return HiggsfieldTtsBody(voice_id=voice, prompt=text, sound_id=sound, **numbers)

    async def _prepare_image_video(self, args: ImageVideoArgs) -> PreparedJob:
        prompt = args.prompt.strip()
        if not prompt:
            raise InvalidInput("prompt", "describe the motion you want, e.g. 'slow zoom in, hair moving in the wind'.")
        if args.motion_id and await self._find("motions", args.motion_id) is None:
            raise InvalidInput("motion_id", f"{args.motion_id!r} is not a Higgsfield motion; see list_motions.")
        body = ImageVideoBody(
            prompt=prompt, start_image_url=await self._image_url(args.image), model=args.variant,
            enhance_prompt=True if args.enhance_prompt is None else args.enhance_prompt,
            end_image_url=await self._image_url(args.end_image, field="end_image") if args.end_image else None,
            motion_id=args.motion_id or None, seed=args.seed,
        )
        request = ImageVideoRequest(payload=body, display=Display(prompt=prompt))
        return PreparedJob(self.name, request, "submit", self.cost(args.variant), kind="image_video")

    async def _prepare_ads(self, args: ProductAdArgs) -> PreparedJob:
        sample = args.product_placement_sample_id.strip()
        if not sample:
            raise InvalidInput("product_placement_sample_id", "give the ad template id from Higgsfield's site.")
        if not args.images:
            raise InvalidInput("images", "give at least one product image URL.")
        urls = [await self._inputs.url_only(i, field="images", kind="image") for i in args.images]
        body = ProductAdBody(product_placement_sample_id=sample, image=urls, size=args.size or "1024x1024")
        return PreparedJob(self.name, ProductAdRequest(payload=body), "submit", self.cost("ad"), kind="product_ad")

    # ---------------------------------------------------------------- steps

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        request = job.request
        assert isinstance(request, UnificallyRequest)
        step = cast(Step, job.step or "submit")
        match step:
            case "tts_submit":
                assert isinstance(request, SpeakRequest) and request.speech is not None
                task = await self._submit(ctl, "tts", request.speech.model_dump(mode="json"), "unifically.tts")
                await ctl.update(state={**ctl.job.state, "tts_task_id": task}, step="tts_poll",
                                 status="processing", progress=0.05)
                return ctl.scaled(3.0)
            case "tts_poll":
                return await self._poll_tts(job, ctl)
            case "submit":
                payload: dict[str, Any] = request.payload.model_dump(mode="json", exclude_none=True)
                if job.state.get("audio_task_id") and isinstance(request, SpeakRequest):
                    payload["audio_task_id"] = job.state["audio_task_id"]
                task = await self._submit(ctl, request.endpoint, payload, f"unifically.{request.endpoint}")
                state = {**ctl.job.state, "task_id": task}
                if isinstance(request, HiggsfieldTtsRequest):
                    state["audio_task_id"] = task
                await ctl.update(state=state, step="poll", status="queued", progress=max(job.progress, 0.1))
                return ctl.scaled(next_poll_delay(0.0, self._typical(job)))
            case "poll":
                return await self._poll(job, ctl)
            case "download":
                assert job.output_url
                if job.kind == "speech":
                    await ctl.download(job.output_url, suffix=".wav", field="audio_path")
                else:
                    await ctl.download(job.output_url)
                await ctl.finish()
                return None
        raise ProviderError(f"unknown step {step!r}")

    def _typical(self, job: JobRecord) -> float:
        return cat.TYPICAL_SECONDS.get(job.model, 120.0)

    async def _submit(self, ctl: JobControl, endpoint: str, payload: Mapping[str, Any], label: str) -> str:
        async def post() -> httpx.Response:
            return await self._access.send(
                "POST", f"{self.base_url}/higgsfield/{endpoint}", idempotent=False, headers=self._headers(),
                json=dict(payload), describe="the paid submit",
            )

        response = await ctl.paid_submit(label, post)
        if response.status_code in (502, 504):
            raise SubmitOutcomeUnknown(f"Unifically answered HTTP {response.status_code} to the paid submit")
        self._raise_for_http(response, "the submit")
        body = json_or_none(response)
        if body is None:
            raise SubmitOutcomeUnknown("Unifically's answer to the submit was not JSON")
        data = envelope_data(body)
        task = data.get("task_id")
        if task:
            return str(task)
        message = data.get("message") or (body.get("message") if isinstance(body, Mapping) else None)
        if message:
            raise ProviderError(f"Unifically rejected the request: {message}")
        raise SubmitOutcomeUnknown("Unifically's answer to the submit had no task_id")

    async def _feed(self, task_id: str, ctl: JobControl) -> dict[str, Any]:
        """The task's status. A check that keeps failing after its retries raises: the runner tries
        again later, with backoff, and gives up (saying the task was submitted) after a bounded
        number of attempts."""
        response = await self._access.send(
            "GET", f"{self.base_url}/higgsfield/feed/{task_id}", idempotent=True,
            retry=self._access.retry.scaled(ctl.scaled(1.0)), headers=self._headers(), describe="the status check",
        )
        self._raise_for_http(response, "the status check", allow=frozenset({400, 404}))
        data = envelope_data(json_or_none(response))
        return data

    async def _poll_tts(self, job: JobRecord, ctl: JobControl) -> float | None:
        data = await self._feed(job.state["tts_task_id"], ctl)
        status = str(data.get("status") or "").lower()
        if status == "completed":
            output = sub_map(data, "output")
            state = {**job.state, "audio_task_id": job.state["tts_task_id"], "tts_audio_url": output.get("audio_url")}
            await ctl.update(state=state, step="submit", progress=0.1)
            return 0.0
        if status == "failed":
            await ctl.fail(f"The text-to-speech step failed at Unifically: {_reason(data)}")
            return None
        if not status:
            return await self._unknown_task(ctl, data)
        return ctl.scaled(3.0)

    async def _poll(self, job: JobRecord, ctl: JobControl) -> float | None:
        data = await self._feed(job.state["task_id"], ctl)
        await ctl.update(polls=job.polls + 1)
        status = str(data.get("status") or "").lower()  # branch on data.status, never on code
        if status == "completed":
            output = sub_map(data, "output")
            url = output.get("video_url") or output.get("audio_url") or output.get("url")
            if not url:
                raise TransientProviderError("Unifically reported completion without an output URL")
            await ctl.update(output_url=str(url), step="download", status="processing", progress=0.95)
            return 0.0
        if status == "failed":
            await ctl.fail(f"Unifically reported the task failed: {_reason(data)}")
            return None
        if status in ("pending", "processing", "queued", "in_progress"):
            elapsed = max(0.0, time.time() - (job.submitted_at or job.created_at)) * (1.0 / ctl.scaled(1.0))
            await ctl.update(status="processing" if status != "pending" else "queued",
                             progress=max(job.progress, progress_estimate(elapsed, self._typical(job))))
            return ctl.scaled(next_poll_delay(elapsed, self._typical(job)))
        return await self._unknown_task(ctl, data)

    async def _unknown_task(self, ctl: JobControl, data: Mapping[str, Any]) -> float | None:
        message = str(data.get("message") or "")
        if "not found" in message.lower():
            await ctl.fail(f"Unifically no longer knows this task ({message}).", status="expired")
            return None
        raise TransientProviderError(f"Unifically's status answer had no status ({message or 'empty'})")

    def _raise_for_http(self, response: httpx.Response, what: str, allow: frozenset[int] = frozenset()) -> None:
        code = response.status_code
        if code < 400 or code in allow:
            return
        message = envelope_data(json_or_none(response)).get("message") or response.text[:200]
        if code in (401, 403):
            raise AuthRejected(f"Unifically rejected the API key (HTTP {code}); check UNIFICALLY_API_KEY.",
                               status_code=code)
        if code == 402:
            raise InsufficientCredits(f"Unifically says the balance is too low ({message}); top up first.")
        if code == 429:
            raise RateLimited(f"Unifically rate-limited {what}.")
        if code == 400:
            raise ProviderError(f"Unifically rejected {what}: {message}", status_code=400)
        raise ProviderError(f"Unifically answered HTTP {code} to {what}: {message}", status_code=code)

    # ---------------------------------------------------------------- account

    async def account(self) -> ProviderAccount:
        return await account_of("unifically", configured=self.configured, endpoint=self.base_url,
                                models=[m.model_id for m in self.models], reads=self._access.reads,
                                read=self._read_balance)

    async def _read_balance(self, info: ProviderAccount) -> None:
        response = await self._access.send(
            "GET", f"{self.base_url}/account", idempotent=True, headers=self._headers(), describe="the balance request",
            urgent=True,
        )
        self._raise_for_http(response, "the balance request")
        data = envelope_data(json_or_none(response))
        balance = data.get("balance_usd", data.get("balance"))
        info.balance = float(balance) if balance is not None else None
        info.balance_unit = "USD"

    async def aclose(self) -> None:
        return None


def _items(kind: str, reading: Reading[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    if reading.value is not None:
        return reading.value
    if reading.error:
        raise ProviderError(f"the Higgsfield {kind} list could not be read: {reading.error.rstrip('.')}.")
    raise TransientProviderError(reading.note(f"Higgsfield {kind} list") or f"the {kind} list is not read yet.")


def _reason(data: Mapping[str, Any]) -> str:
    error = data.get("error")
    if isinstance(error, Mapping):
        text = error.get("message") or error.get("detail") or ", ".join(f"{k}: {v}" for k, v in error.items())
        if text:
            return str(text)
    if isinstance(error, str) and error:
        return error
    return str(data.get("message") or "no reason given")
