"""HeyGen's own API (v3): a photo (uploaded as an asset, or its URL) or a HeyGen avatar, speaking a script with a
HeyGen voice or an audio file, rendered by Avatar IV; HeyGen's voices and avatar looks; the API wallet.

Steps of a job: upload (local photo/audio → assets, once) → submit (the paid POST, sent once) → poll →
download (a presigned video_url that expires: an expired one is asked for again) → subtitles (when captions
were asked for) → done."""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import anyio
import httpx

from talking_video_mcp.domain.provider import CancelOutcome, JobControl, JobProgress, KeyCheck, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, InputFile, TalkingVideoArgs, ToolArgs, warnings_of
from talking_video_mcp.errors import (
    InvalidInput,
    ProviderError,
    RecordNotFound,
    SubmitOutcomeUnknown,
    TransientProviderError,
)
from talking_video_mcp.models import AvatarPresetList, ProviderAccount, VoiceList
from talking_video_mcp.provider_http import RETRYABLE_STATUS
from talking_video_mcp.providers.access import CloudProvider, ProviderAccess
from talking_video_mcp.providers.heygen import models as m
from talking_video_mcp.providers.heygen.account import HeygenReads
from talking_video_mcp.providers.heygen.options import HeygenOptions
from talking_video_mcp.providers.heygen.requests import HeygenBody, HeygenRequest, Resolution
from talking_video_mcp.providers.heygen.wire import data_of, raise_for_error
from talking_video_mcp.providers.inputs_stage import InputsStage
from talking_video_mcp.providers.polling import next_poll_delay, progress_estimate

Step = Literal["upload", "submit", "poll", "download", "subtitles"]
# [I] HeyGen lists waiting (the create answer) and pending|processing|completed|failed (the status schema):
# these are still running; any other value is treated as running too.
_QUEUED = frozenset({"waiting", "pending"})
# A presigned URL past its time answers 403 (S3's AccessDenied) [I]; 404/410 are read the same way.
_EXPIRED = frozenset({401, 403, 404, 410})
UPLOAD_ATTEMPTS = 3
TOO_LARGE = "is larger than the 32 MB HeyGen takes as an upload; send a smaller file or a public https URL."


class HeygenProvider(CloudProvider):
    name = m.PROVIDER
    heavy_steps: frozenset[str] = frozenset()
    models: tuple[ModelSpec, ...] = m.MODELS

    def __init__(self, access: ProviderAccess, *, inputs: InputsStage) -> None:
        super().__init__(access, inputs)
        self._reads = HeygenReads(access)

    def _headers(self) -> dict[str, str]:
        return {m.KEY_HEADER: self._access.api_key or "", "accept": "application/json"}

    # ---------------------------------------------------------------- price

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        """A script's price from its length; audio's is known once it is probed (`prepare`)."""
        if not isinstance(args, TalkingVideoArgs):
            return None
        script = (args.script or "").strip()
        if not script or args.audio:
            return None
        try:
            return m.price_usd(m.speech_seconds(script), _resolution(args.resolution))
        except InvalidInput:
            return None

    # ---------------------------------------------------------------- prepare (nothing spent)

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        if model != m.MODEL_ID:
            raise InvalidInput("model", f"{model!r} is not a HeyGen model; use {m.MODEL_ID!r}.")
        if not isinstance(args, TalkingVideoArgs):
            raise InvalidInput("model", f"{m.MODEL_ID} makes talking videos only; use it with generate_talking_video.")
        options = HeygenOptions.model_validate(args.options or {})
        resolution = _resolution(args.resolution)
        script = (args.script or "").strip()
        _check_speech(args, script)
        image, avatar_id = await self._face(args)
        if options.engine is not None and avatar_id is None:
            raise InvalidInput("options.engine", "only applies to a HeyGen avatar (avatar_preset_id from "
                               f"list_avatar_presets(provider='{m.PROVIDER}')); remove it for a photo.")
        if script and avatar_id is None and not args.voice_id:
            raise InvalidInput("voice_id", "a photo has no voice of its own: pick a HeyGen voice for the script from "
                               f"list_voices(provider='{m.PROVIDER}').")
        inputs: dict[str, InputFile | None] = {}
        notes: list[str | None] = []
        if image is not None:
            notes.append((await self._inputs.faces(image)).message)
            inputs["image"] = image
        seconds: float | None = m.speech_seconds(script) if script else None
        if args.audio:
            audio = await self._audio(args.audio)
            seconds, inputs["audio"] = audio.duration_s, audio
        title = (options.title or "").strip() or (script[:60] if script else "Talking video")
        body = HeygenBody(
            type="avatar" if avatar_id else "image", avatar_id=avatar_id, script=script or None,
            voice_id=args.voice_id if script else None, motion_prompt=args.prompt or None, resolution=resolution,
            aspect_ratio=args.aspect_ratio, title=title, options=options,
        )
        request = HeygenRequest(
            payload=body, seconds=seconds, inputs=inputs,
            display=Display(script=script or None, voice_id=body.voice_id, prompt=args.prompt, title=title),
            warnings=warnings_of(*notes),
        )
        cost = m.price_usd(seconds, resolution) if seconds else None
        return PreparedJob(self.name, request, "upload", cost)

    async def _face(self, args: TalkingVideoArgs) -> tuple[InputFile | None, str | None]:
        """The photo (a file, URL, data: URL or one of this server's presets), or a HeyGen avatar's look id."""
        if args.image and args.avatar_preset_id:
            raise InvalidInput("avatar_preset_id", "give either image (a photo) or avatar_preset_id, not both.")
        if args.image:
            return await self._inputs.image(args.image, field="image", upload_supported=True), None
        if not args.avatar_preset_id:
            raise InvalidInput("image", "give a face photo (https URL, local file or data: URL), or an avatar as "
                               f"avatar_preset_id from list_avatar_presets(provider='{m.PROVIDER}').")
        try:  # a preset of this server is a photo, uploaded like one
            return await self._inputs.image(None, args.avatar_preset_id, upload_supported=True), None
        except InvalidInput as exc:
            if exc.field != "avatar_preset_id":
                raise
        return None, args.avatar_preset_id.strip()  # HeyGen's own avatar: HeyGen says at the submit if unknown

    async def _audio(self, value: str) -> InputFile:
        """The audio, probed for its length (the price); a local file HeyGen's assets do not take becomes WAV."""
        audio, _ = await self._inputs.audio_or_script(
            value, None, None, duration_limit_s=None, needs_wav=False, script_ok=False, probe=True, model=m.MODEL_ID,
        )
        assert audio is not None
        if audio.path is not None and (await anyio.Path(audio.path).stat()).st_size > m.ASSET_MAX_BYTES:
            raise InvalidInput("audio", TOO_LARGE)
        if audio.path is not None and (audio.mime or "") not in m.ASSET_AUDIO_TYPES:
            audio = audio.model_copy(update={"needs_wav": True})  # assets take mp3 and wav [O]
        return audio

    # ---------------------------------------------------------------- steps

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        request = job.request
        assert isinstance(request, HeygenRequest), "a HeyGen job holds a HeygenRequest"
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
        field = "audio" if mime.startswith("audio/") else "image"
        if len(data) > m.ASSET_MAX_BYTES:
            raise InvalidInput(field, TOO_LARGE)
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
        if response.status_code == 413:
            raise InvalidInput(field, TOO_LARGE)
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
        # This write records the video id and clears the in-flight mark together (see paid_submit).
        await ctl.update(state={**ctl.job.state, "video_id": video_id, "heygen_status": "waiting"}, step="poll",
                         status="queued", progress=max(ctl.job.progress, 0.1))
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
        video_id = str(job.state["video_id"])
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
                         state={**job.state, "heygen_status": status or "unknown"},
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

    # ---------------------------------------------------------------- lists, account, doctor (account.py)

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        return await self._reads.voices(search=search, limit=limit, cursor=cursor)

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        return await self._reads.looks(search=search, limit=limit, cursor=cursor)

    async def account(self) -> ProviderAccount:
        return await self._reads.account(configured=self.configured)

    async def check_key(self) -> KeyCheck:
        """doctor's check of HEYGEN_API_KEY: ok, rejected, unreachable or unconfigured, in one sentence."""
        return await self._reads.check_key()

    # ---------------------------------------------------------------- cancel, job view, doctor

    async def cancel(self, job: JobRecord) -> CancelOutcome:
        """`NOT_SUBMITTED` (nothing reached HeyGen, nothing is charged) or `CANNOT_CANCEL` (HeyGen renders and
        bills it anyway): HeyGen has no cancel for a video (DELETE /v3/videos/{id} removes a finished one) [O].
        Nothing is sent."""
        if not job.state.get("video_id") and not job.pending_submit:
            return CancelOutcome("NOT_SUBMITTED", "The video had not been sent to HeyGen, so nothing was charged.",
                                 True)
        return CancelOutcome("CANNOT_CANCEL", m.CANCEL_NOTE, False)

    def describe(self, job: JobRecord) -> JobProgress | None:
        detail = self._detail(job)
        return JobProgress(detail=detail) if detail else None

    def _detail(self, job: JobRecord) -> str | None:
        """The job's progress in words for check_video_status: HeyGen's own status word and what it means."""
        if not job.active:
            return None
        said = job.state.get("heygen_status")
        if job.step == "upload":
            return "Uploading the photo and audio to HeyGen as assets."
        if not said:
            return None
        refreshed = int(job.state.get("url_refreshes") or 0)
        again = f"; its download link expired and was asked for again ({refreshed}x)" if refreshed else ""
        return (f"HeyGen says {said}{again}; renders take 5-20 minutes, and the job resumes if this server "
                "restarts.")

    async def aclose(self) -> None:
        return None


def _resolution(value: str | None) -> Resolution | None:
    """HeyGen's resolution for ours: 720p, 1080p, or 2160p for HeyGen's `4k`."""
    if value is None:
        return None
    chosen = {"2160p": "4k"}.get(value.strip().lower(), value.strip().lower())
    if chosen not in m.RESOLUTIONS:
        raise InvalidInput("resolution", f"{value!r} is not offered by HeyGen; use 720p, 1080p or 2160p (4K).")
    return cast(Resolution, chosen)


def _check_speech(args: TalkingVideoArgs, script: str) -> None:
    """A script or audio, never both; a voice only with a script."""
    if script and args.audio:
        raise InvalidInput("audio", "give either a script or audio, not both.")
    if not script and not args.audio:
        raise InvalidInput("script", "give a script with a HeyGen voice_id, or audio (URL, local file or data: URL).")
    if args.audio and args.voice_id:
        raise InvalidInput("voice_id", "only applies with a script; your audio already carries the voice.")


def failure_sentence(data: Mapping[str, Any]) -> str:
    """A failed video's reason as one sentence, from failure_message and failure_code."""
    message = str(data.get("failure_message") or "").strip().rstrip(".")
    code = str(data.get("failure_code") or "").strip()
    reason = (message[:1].lower() + message[1:]) if message else "HeyGen gave no reason"
    return f"HeyGen could not make the video{f' ({code})' if code else ''}: {reason}."
