"""HeyGen's own API (v3): a photo (uploaded as an asset, or its URL) or a HeyGen avatar, speaking a script with a
HeyGen voice or an audio file, rendered by Avatar IV; HeyGen's voices and avatar looks; the API wallet.

Steps of a job: upload (local photo/audio → assets, once) → submit (the paid POST, sent once) → poll →
download (a presigned video_url that expires: an expired one is asked for again) → subtitles (when captions
were asked for) → done."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import anyio
import httpx

from talking_video_mcp.domain.provider import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, TalkingVideoArgs, ToolArgs, warnings_of
from talking_video_mcp.errors import (
    InvalidInput,
    ProviderError,
    RecordNotFound,
    SubmitOutcomeUnknown,
    TransientProviderError,
)
from talking_video_mcp.models import AvatarPreset, AvatarPresetList, ProviderAccount, Voice, VoiceList
from talking_video_mcp.provider_http import RETRYABLE_STATUS
from talking_video_mcp.providers.access import CloudProvider, ProviderAccess, account_of
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.options import HeygenOptions
from talking_video_mcp.providers.heygen.requests import HeygenArgs, HeygenBody, HeygenRequest
from talking_video_mcp.providers.heygen.wire import data_of, raise_for_error
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.polling import next_poll_delay, progress_estimate

P = TypeVar("P", Voice, AvatarPreset, ProviderAccount)
Step = Literal["upload", "submit", "poll", "download", "subtitles"]
# generate_talking_video's arguments of other models: refused here with a sentence, never ignored.
_FOREIGN = (
    "audio_task_id", "quality", "enhance_prompt", "seed", "duration", "custom_motion_prompt",
    "enhance_custom_motion_prompt", "framing", "face_index",
)  # fmt: skip
_ORIENTATION = {"landscape": "16:9", "portrait": "9:16"}
# [I] HeyGen lists waiting (the create answer) and pending|processing|completed|failed (the status schema):
# these are still running; any other value is treated as running too.
_QUEUED = frozenset({"waiting", "pending"})
# A presigned URL past its time answers 403 (S3's AccessDenied) [I]; 404/410 are read the same way.
_EXPIRED = frozenset({401, 403, 404, 410})
UPLOAD_ATTEMPTS = 3


class HeygenProvider(CloudProvider):
    name = "heygen"
    heavy_steps: frozenset[str] = frozenset()
    models: tuple[ModelSpec, ...] = m.MODELS

    def __init__(self, access: ProviderAccess, *, inputs: InputsStage) -> None:
        super().__init__(access, inputs)

    def _headers(self) -> dict[str, str]:
        return {m.KEY_HEADER: self._access.api_key or "", "accept": "application/json"}

    # ---------------------------------------------------------------- arguments and price

    def arguments(self, args: ToolArgs | HeygenArgs) -> HeygenArgs:
        """The HeyGen arguments of a tool call; another model's argument is refused, naming it."""
        if isinstance(args, HeygenArgs):
            return args
        if not isinstance(args, TalkingVideoArgs):
            raise InvalidInput("model", f"{m.MODEL_ID} makes talking videos only; use it with generate_talking_video.")
        for key in args.given(_FOREIGN):
            hint = " (HeyGen's motion prompt is `prompt`)" if key == "custom_motion_prompt" else ""
            raise InvalidInput(key, f"does not apply to {m.MODEL_ID}; remove it{hint}.")
        if args.resolution is not None and args.resolution not in m.RESOLUTIONS:
            raise InvalidInput("resolution", f"{args.resolution!r} is not offered by HeyGen; use 720p, 1080p or 4k.")
        options = HeygenOptions(fit=args.fit) if args.fit else HeygenOptions()
        return HeygenArgs(
            image=args.image, avatar_preset_id=args.avatar_preset_id, audio=args.audio, script=args.script,
            voice_id=args.voice_id, prompt=args.prompt, resolution=cast(Any, args.resolution),
            aspect_ratio=cast(Any, _ORIENTATION.get(args.video_orientation or "")), video_title=args.video_title,
            options=options,
        )

    def estimate_cost(self, model: str, args: ToolArgs | HeygenArgs) -> float | None:
        """A script's price from its length; audio's is known once it is probed (`prepare`)."""
        try:
            heygen = self.arguments(args)
        except InvalidInput:
            return None
        script = (heygen.script or "").strip()
        return m.price_usd(m.speech_seconds(script), heygen.resolution) if script and not heygen.audio else None

    # ---------------------------------------------------------------- prepare (nothing spent)

    async def prepare(self, model: str, args: ToolArgs | HeygenArgs) -> PreparedJob:
        if model != m.MODEL_ID:
            raise InvalidInput("model", f"{model!r} is not a HeyGen model; use {m.MODEL_ID!r}.")
        a = self.arguments(args)
        if a.image and a.avatar_preset_id:
            raise InvalidInput("avatar_preset_id", "give either image (a photo) or avatar_preset_id, not both.")
        if not a.image and not a.avatar_preset_id:
            raise InvalidInput("image", "give a face photo (https URL, local file or data: URL), or a HeyGen avatar "
                               "as avatar_preset_id from list_avatar_presets(provider='heygen').")
        if a.options.engine is not None and not a.avatar_preset_id:
            raise InvalidInput("options.engine", "only applies to a HeyGen avatar (avatar_preset_id); remove it for "
                               "a photo.")
        script = (a.script or "").strip()
        if script and a.audio:
            raise InvalidInput("audio", "give either a script or audio, not both.")
        if not script and not a.audio:
            raise InvalidInput("script", "give a script with a HeyGen voice_id, or audio (URL, local file or data: "
                               "URL).")
        if a.audio and a.voice_id:
            raise InvalidInput("voice_id", "only applies with a script; your audio already carries the voice.")
        if script and a.image and not a.voice_id:
            raise InvalidInput("voice_id", "a photo has no voice of its own: pick a HeyGen voice for the script from "
                               "list_voices(provider='heygen').")
        inputs, notes = {}, []
        if a.image:
            image = await self._inputs.image(a.image, field="image", upload_supported=True)
            notes.append((await self._inputs.faces(image)).message)
            inputs["image"] = image
        seconds: float | None = m.speech_seconds(script) if script else None
        if a.audio:
            audio, _ = await self._inputs.audio_or_script(
                a.audio, None, None, duration_limit_s=None, needs_wav=False, script_ok=False, probe=True,
                model=m.MODEL_ID,
            )
            assert audio is not None
            if audio.path is not None and (audio.mime or "") not in m.ASSET_AUDIO_TYPES:
                audio = audio.model_copy(update={"needs_wav": True})  # assets take mp3 and wav [O]
            seconds = audio.duration_s
            inputs["audio"] = audio
        title = (a.video_title or "").strip() or (script[:60] if script else "Talking video")
        body = HeygenBody(
            type="avatar" if a.avatar_preset_id else "image", avatar_id=a.avatar_preset_id,
            script=script or None, voice_id=a.voice_id if script else None, motion_prompt=a.prompt or None,
            resolution=a.resolution, aspect_ratio=a.aspect_ratio, title=title, options=a.options,
        )
        request = HeygenRequest(
            payload=body, seconds=seconds, inputs=cast(Any, inputs),
            display=Display(script=script or None, voice_id=body.voice_id, prompt=a.prompt, title=title),
            warnings=warnings_of(*notes),
        )
        cost = m.price_usd(seconds, a.resolution) if seconds else None
        # The ledger's request type is closed to the seed providers until issue 23 opens it to packages.
        return PreparedJob(self.name, cast(Any, request), "upload", cost)

    # ---------------------------------------------------------------- steps

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        request = cast(HeygenRequest, job.request)
        step = cast(Step, job.step or "upload")
        match step:
            case "upload":
                await self._inputs.upload_pending(job, ctl, lambda data_url: self._upload_asset(data_url, ctl))
                await ctl.update(step="submit")
                return 0.0
            case "submit":
                return await self._submit(request, ctl)
            case "poll":
                return await self._poll(ctl.job, request, ctl)
            case "download":
                return await self._download(ctl.job, request, ctl)
            case "subtitles":
                return await self._subtitles(ctl.job, ctl)
        raise ProviderError(f"unknown step {step!r}")

    async def _upload_asset(self, data_url: str, ctl: JobControl) -> str:
        """POST /v3/assets (multipart `file`): the asset id. Uploads are free, so a failed one is tried again."""
        header, _, encoded = data_url.partition(",")
        mime = header.removeprefix("data:").split(";")[0] or "application/octet-stream"
        data = base64.b64decode(encoded)
        if len(data) > m.ASSET_MAX_BYTES:
            raise InvalidInput("audio" if mime.startswith("audio/") else "image",
                               "is larger than the 32 MB HeyGen takes as an upload; send a smaller file or a public "
                               "https URL.")
        name = "upload" + {"image/png": ".png", "image/jpeg": ".jpg", "audio/mpeg": ".mp3"}.get(mime, ".wav")
        response: httpx.Response | None = None
        for attempt in range(UPLOAD_ATTEMPTS):
            await self._access.budget.acquire()
            try:
                response = await self._access.client.post(
                    f"{self.base_url}/v3/assets", headers=self._headers(), files={"file": (name, data, mime)},
                )
            except httpx.TransportError as exc:
                if attempt + 1 == UPLOAD_ATTEMPTS:
                    raise TransientProviderError(f"the upload to HeyGen failed ({type(exc).__name__}).") from None
            else:
                if response.status_code not in RETRYABLE_STATUS or attempt + 1 == UPLOAD_ATTEMPTS:
                    break
            await anyio.sleep(ctl.scaled(2.0 * (attempt + 1)))
        assert response is not None
        raise_for_error(response, "the file upload")
        data_obj = data_of(response)
        if not isinstance(data_obj, Mapping) or not data_obj.get("asset_id"):
            raise TransientProviderError("HeyGen's answer to the upload had no asset_id.")
        return str(data_obj["asset_id"])

    def _media(self, request: HeygenRequest, uploaded: Mapping[str, str]) -> dict[str, Any]:
        """The photo and audio fields: an uploaded asset's id, or the URL the user gave."""
        media: dict[str, Any] = {}
        image, audio = request.inputs.get("image"), request.inputs.get("audio")
        if image is not None:
            media["image"] = ({"type": "asset_id", "asset_id": uploaded["image"]} if "image" in uploaded
                              else {"type": "url", "url": image.url})
        if audio is not None:
            if "audio" in uploaded:
                media["audio_asset_id"] = uploaded["audio"]
            else:
                media["audio_url"] = audio.url
        return media

    async def _submit(self, request: HeygenRequest, ctl: JobControl) -> float:
        body = request.payload.wire(self._media(request, ctl.job.state.get("uploaded") or {}))

        async def post() -> str:
            response = await self._access.send(
                "POST", f"{self.base_url}/v3/videos", idempotent=False, headers=self._headers(), json=body,
                describe="the paid submit",
            )
            if response.status_code >= 500:
                # The video may exist anyway: never re-sent, the runner says how to check.
                raise SubmitOutcomeUnknown(f"HeyGen answered HTTP {response.status_code} to the paid submit")
            raise_for_error(response, "the paid submit")  # a refusal: nothing was charged
            data = data_of(response)
            if not isinstance(data, Mapping) or not data.get("video_id"):
                raise SubmitOutcomeUnknown("HeyGen's answer to the paid submit had no video_id")
            return str(data["video_id"])

        video_id = await ctl.paid_submit("heygen.videos.create", post)
        # `request_id` is the name the runner's messages show a provider's job id under.
        await ctl.update(state={**ctl.job.state, "request_id": video_id}, step="poll", status="queued",
                         progress=max(ctl.job.progress, 0.1))
        return ctl.scaled(next_poll_delay(0.0, m.TYPICAL_SECONDS))

    async def status(self, video_id: str, ctl: JobControl | None = None) -> dict[str, Any]:
        """GET /v3/videos/{id}: an idempotent read, retried (Retry-After honoured) within the key's budget."""
        retry = self._access.retry.scaled(ctl.scaled(1.0)) if ctl is not None else None
        response = await self._access.send(
            "GET", f"{self.base_url}/v3/videos/{video_id}", idempotent=True, retry=retry, headers=self._headers(),
            describe="the status check",
        )
        raise_for_error(response, "the status check")
        data = data_of(response)
        if not isinstance(data, Mapping):
            raise TransientProviderError("HeyGen's status answer had no data.")
        return dict(data)

    async def _poll(self, job: JobRecord, request: HeygenRequest, ctl: JobControl) -> float | None:
        video_id = str(job.state["request_id"])
        try:
            data = await self.status(video_id, ctl)
        except RecordNotFound:
            await ctl.fail(f"HeyGen no longer knows video {video_id}.", status="expired")
            return None
        await ctl.update(polls=job.polls + 1)
        status = str(data.get("status") or "").lower()
        if status == "completed":
            caption = request.payload.options.caption
            url = data.get("captioned_video_url") if caption is not None and caption.style else None
            url = url or data.get("video_url")
            if not url:
                raise TransientProviderError("HeyGen reported the video completed without a video_url.")
            state = {**job.state, "duration": data.get("duration")}
            if caption is not None:
                state["subtitle_url"] = data.get("subtitle_url")
            # A second status read (a URL expired) finds the video possibly already downloaded.
            step = "subtitles" if job.video_path and await anyio.Path(job.video_path).is_file() else "download"
            await ctl.update(output_url=str(url), state=state, step=step, status="processing", progress=0.95)
            return 0.0
        if status == "failed":
            await ctl.fail(failure_sentence(data))
            return None
        elapsed = max(0.0, time.time() - (job.submitted_at or job.created_at)) / ctl.scaled(1.0)
        await ctl.update(status="queued" if status in _QUEUED else "processing",
                         progress=max(job.progress, progress_estimate(elapsed, m.TYPICAL_SECONDS)))
        return ctl.scaled(next_poll_delay(elapsed, m.TYPICAL_SECONDS))

    async def _refresh(self, job: JobRecord, ctl: JobControl, exc: ProviderError) -> float:
        """A presigned URL expired: ask the status call for a fresh one (a few times at most)."""
        refreshes = int(job.state.get("url_refreshes") or 0)
        if refreshes >= m.URL_REFRESHES:
            raise exc
        await ctl.update(step="poll", state={**job.state, "url_refreshes": refreshes + 1})
        return 0.0

    async def _download(self, job: JobRecord, request: HeygenRequest, ctl: JobControl) -> float | None:
        assert job.output_url
        await ctl.update(progress=0.97)
        try:
            await ctl.download(job.output_url, suffix=f".{request.payload.options.output_format}")
        except ProviderError as exc:
            if exc.status_code in _EXPIRED:
                return await self._refresh(job, ctl, exc)
            raise
        if job.state.get("subtitle_url"):
            await ctl.update(step="subtitles")
            return 0.0
        await ctl.finish()
        return None

    async def _subtitles(self, job: JobRecord, ctl: JobControl) -> float | None:
        """The sidecar SRT, kept beside the video (`state.subtitle_path`). Presigned: no API key is sent."""
        url = str(job.state.get("subtitle_url") or "")
        if url:
            response = await self._access.send("GET", url, idempotent=True, describe="the subtitle download",
                                               retry=self._access.retry.scaled(ctl.scaled(1.0)))
            if response.status_code in _EXPIRED:
                return await self._refresh(job, ctl, ProviderError(
                    f"the subtitle file could not be downloaded (HTTP {response.status_code}).",
                    status_code=response.status_code, retryable=True))
            if response.status_code >= 400:
                raise TransientProviderError(f"the subtitle download answered HTTP {response.status_code}.")
            assert job.video_path
            path = Path(job.video_path).with_suffix(".srt")
            await anyio.Path(path).write_bytes(response.content)
            await ctl.update(state={**job.state, "subtitle_path": str(path)})
        await ctl.finish()
        return None

    # ---------------------------------------------------------------- lists and account

    async def _page(self, path: str, limit: int, cursor: str | None,
                    most: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a HeyGen list (at most `most` items); our cursor is HeyGen's `next_token`, passed through."""
        params: dict[str, Any] = {"limit": max(1, min(limit, most))}
        if cursor:
            params["token"] = cursor
        response = await self._access.send("GET", f"{self.base_url}{path}", idempotent=True, headers=self._headers(),
                                           params=params, describe=f"the list {path}", urgent=True)
        if response.status_code == 400 and cursor:
            raise InvalidInput("cursor", "is not a cursor HeyGen accepts; send the next_cursor of the previous page, "
                               "or leave it out to start from the beginning.")
        raise_for_error(response, f"the list {path}")
        body = response.json()
        items = [dict(i) for i in body.get("data") or [] if isinstance(i, Mapping)]
        token = body.get("next_token") if body.get("has_more") else None
        return items, str(token) if token else None

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        items, next_cursor = await self._page("/v3/voices", limit, cursor, m.VOICES_PAGE_MAX)
        voices = [
            _named(Voice, voice_id=str(v["voice_id"]), name=str(v.get("name") or v["voice_id"]),
                   language=v.get("language"), gender=v.get("gender"), preview_url=v.get("preview_audio_url"),
                   models=[m.MODEL_ID])
            for v in items if v.get("voice_id")
        ]
        voices, notes = _searched(voices, search, lambda v: f"{v.name} {v.language or ''}", "voices")
        return VoiceList(voices=voices, next_cursor=next_cursor, notes=notes)

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        items, next_cursor = await self._page("/v3/avatars/looks", limit, cursor, m.LOOKS_PAGE_MAX)
        presets = [
            _named(AvatarPreset, avatar_preset_id=str(i["id"]), name=str(i.get("name") or i["id"]),
                   image_url=i.get("preview_image_url"), width=i.get("image_width"), height=i.get("image_height"),
                   models=[m.MODEL_ID])
            for i in items if i.get("id")
        ]
        presets, notes = _searched(presets, search, lambda p: p.name, "avatars")
        return AvatarPresetList(presets=presets, next_cursor=next_cursor, notes=notes)

    async def account(self) -> ProviderAccount:
        """The wallet, through the shared cached-balance reading (access.account_of); see `_named` for why it is
        read under a seed provider's name and renamed."""
        info = await account_of(cast(Any, "local"), configured=self.configured, endpoint=self.base_url,
                                models=[s.model_id for s in self.models], reads=self._access.reads,
                                read=self._read_balance)
        return _named(ProviderAccount, **info.model_dump(exclude={"provider"}))

    async def _read_balance(self, info: ProviderAccount) -> None:
        response = await self._access.send("GET", f"{self.base_url}/v3/users/me", idempotent=True,
                                           headers=self._headers(), describe="the balance request", urgent=True)
        raise_for_error(response, "the balance request")
        data = data_of(response)
        data = data if isinstance(data, Mapping) else {}
        billing = data.get("billing_type")
        wallet, usage = data.get("wallet") or {}, data.get("usage_based") or {}
        if billing == "wallet" or (billing is None and wallet):
            balance = wallet.get("remaining_balance")
            info.balance_unit = "USD" if str(wallet.get("currency") or "usd").lower() == "usd" else "credits"
        elif billing == "usage_based":
            balance, info.balance_unit = usage.get("remaining_credits"), "credits"
        else:  # a subscription's credits pay for the web app, not for API videos
            balance, info.balance_unit = None, None
        info.balance = float(balance) if balance is not None else None

    async def aclose(self) -> None:
        return None


def _named(model: type[P], **fields: Any) -> P:
    """`model` for provider "heygen". The provider-name type is the seed providers' closed list until issue 23
    builds it from the packages' declarations; until then these few results are built without that check."""
    return model.model_construct(provider=m.PROVIDER, **model(provider="local", **fields).model_dump(
        exclude={"provider"}))


def _searched(items: list[P], search: str | None, text: Callable[[P], str], what: str) -> tuple[list[P], list[str]]:
    """HeyGen's lists filter by language or gender, not by name: `search` filters each page here, and says so."""
    if not search:
        return items, []
    needle = search.lower()
    note = f"search filters each page HeyGen sends, so a page may hold fewer {what}; follow next_cursor for more."
    return [item for item in items if needle in text(item).lower()], [note]


def failure_sentence(data: Mapping[str, Any]) -> str:
    """A failed video's reason as one sentence, from failure_message and failure_code."""
    message = str(data.get("failure_message") or "").strip().rstrip(".")
    code = str(data.get("failure_code") or "").strip()
    reason = (message[:1].lower() + message[1:]) if message else "HeyGen gave no reason"
    return f"HeyGen could not make the video{f' ({code})' if code else ''}: {reason}."
