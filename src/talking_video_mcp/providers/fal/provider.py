"""One queue adapter for every fal model in catalog.py: checks a request against the model's row, then runs
the job as steps (tts → upload → submit → poll → result → download), each recorded before the next.

fal bills only successful outputs [O fal's docs], so a job fal fails gives its estimate back to the daily
budget, and a submit is still sent once only: one that may have reached fal is never repeated.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import anyio
import httpx
from pydantic import ValidationError

from talking_video_mcp.domain.provider import CancelOutcome, JobControl, JobProgress, KeyCheck, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, TalkingVideoArgs, ToolArgs, warnings_of
from talking_video_mcp.errors import InvalidInput, ProviderError, SubmitOutcomeUnknown, TransientProviderError
from talking_video_mcp.models import AvatarPresetList, ProviderAccount, VoiceList
from talking_video_mcp.provider_http import RetryPolicy, json_or_none
from talking_video_mcp.providers.access import CloudProvider, ProviderAccess
from talking_video_mcp.providers.fal import wire
from talking_video_mcp.providers.fal.catalog import ASPECT_RATIOS, BY_ID, MODELS, WORDS_PER_SECOND, FalModel
from talking_video_mcp.providers.fal.models import specs, unpriced_sentence
from talking_video_mcp.providers.fal.request import FalRequest
from talking_video_mcp.providers.inputs_stage import InputsStage, file_data_url, job_files
from talking_video_mcp.providers.polling import next_poll_delay, progress_estimate

log = logging.getLogger(__name__)

Step = Literal["tts", "upload", "submit", "poll", "result", "download"]
_TOKEN_MARGIN_S = 60.0


@dataclass
class _UploadToken:
    token: str
    token_type: str
    base_url: str
    expires_at: float


def fal_request(job: JobRecord) -> FalRequest:
    """The job's stored request (the ledger reads it as the FalRequest the package declares)."""
    request = job.request
    assert isinstance(request, FalRequest), "a fal job holds a FalRequest"
    return request


def job_detail(job: JobRecord) -> str | None:
    """The job's progress in words (queue position, fal's latest log line), for check_video_status."""
    detail = job.state.get("detail")
    return detail if isinstance(detail, str) and job.active else None


def job_eta_s(job: JobRecord, now: float | None = None) -> float | None:
    """Seconds until the job is expected to finish, from fal's queue state (wall time)."""
    eta_at = job.state.get("eta_at")
    if not job.active or not isinstance(eta_at, int | float):
        return None
    return round(max(1.0, eta_at - (time.time() if now is None else now)), 1)


class FalProvider(CloudProvider):
    """fal's queue for the photo → talking-video models in catalog.MODELS."""

    name = "fal"
    heavy_steps: frozenset[str] = frozenset()

    def __init__(
        self, access: ProviderAccess, *, inputs: InputsStage, hosts: wire.FalHosts | None = None,
        prices: Mapping[str, float] | None = None, inline_max_bytes: int = wire.INLINE_MAX_BYTES,
    ) -> None:
        """`prices`: USD per second the operator set for models (setting FAL_PRICES_USD_PER_S); they take
        the place of catalog prices, and make usable the models whose price our sources do not publish."""
        super().__init__(access, inputs)
        self.hosts = hosts or wire.FalHosts(queue=access.base_url)
        self._prices = dict(prices or {})
        self.models = specs(self._prices)
        self.inline_max_bytes = inline_max_bytes
        self._token: _UploadToken | None = None

    def _headers(self) -> dict[str, str]:
        return wire.key_headers(self._access.api_key)

    # ---------------------------------------------------------------- prices

    def price_per_s(self, model: str, resolution: str | None = None) -> float | None:
        """USD per second: the operator's, else the published one; None when neither is known."""
        if model in self._prices:
            return self._prices[model]
        found = BY_ID.get(model)
        return found.price(resolution) if found else None

    def unpriced_refusal(self, model: str) -> str | None:
        """Why the spend guard refuses `model`: its price is unknown and the operator set none (never guessed)."""
        found = BY_ID.get(model)
        if found is None or any(self.price_per_s(model, r) is not None for r in (found.resolutions or (None,))):
            return None
        return unpriced_sentence(model)

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        found = BY_ID.get(model)
        if found is None or not isinstance(args, TalkingVideoArgs):
            return None
        resolution = args.resolution or (found.resolutions[0] if found.resolutions else None)
        price = self.price_per_s(model, resolution)
        seconds = _script_seconds(args.script) if args.script else None
        return None if price is None or seconds is None else round(price * seconds, 2)

    # ---------------------------------------------------------------- validation

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        """The registry has refused the arguments `model` does not take and options outside its schema."""
        found = BY_ID.get(model)
        if found is None:
            names = ", ".join(m.model_id for m in MODELS)
            raise InvalidInput("model", f"{model!r} is not a fal model; use one of {names}.")
        if not isinstance(args, TalkingVideoArgs):
            raise InvalidInput("model", f"{model!r} makes talking videos; use generate_talking_video.")
        return await self._prepare(found, args)

    async def _prepare(self, m: FalModel, a: TalkingVideoArgs) -> PreparedJob:
        if a.audio_task_id:
            raise InvalidInput("audio_task_id", "is not a text_to_speech job of this server; pass the job_id of a "
                               "finished one, or its audio_path as audio.")
        options = _options(m, a.options or {})
        payload: dict[str, Any] = {k: v for k, v in options.model_dump(exclude_none=True).items()
                                   if k not in ("voice_description", "num_frames")}
        resolution = _choice("resolution", a.resolution, m.resolutions, m.model_id)
        if resolution is not None:
            payload["resolution"] = resolution
        if a.aspect_ratio is not None:
            payload["aspect_ratio"] = _choice("aspect_ratio", a.aspect_ratio, ASPECT_RATIOS, m.model_id)
        if a.seed is not None:
            if a.seed < 0:
                raise InvalidInput("seed", "must be 0 or more.")
            payload[m.fields["seed"]] = a.seed
        frames = getattr(options, "num_frames", None)
        if a.duration is not None and m.fps:
            frames = round(a.duration * m.fps) + 1
            if not 41 <= frames <= 721:
                raise InvalidInput("duration", f"{m.model_id} makes {40 / m.fps:.1f} to {720 / m.fps:.1f} s of video; "
                                   "send a duration in that range (or leave it out to follow the speech).")
        if frames is not None:
            payload["num_frames"] = frames
        if "prompt" in m.fields and (a.prompt or m.required_prompt):
            payload["prompt"] = a.prompt or m.required_prompt
        image = await self._inputs.image(a.image, a.avatar_preset_id, field="image", upload_supported=True)
        faces = await self._inputs.faces(image)
        endpoint, audio, tts, spoken = m.endpoint, None, None, None
        limit = m.max_audio_s.get(resolution, m.max_audio_s.get(None))
        script = (a.script or "").strip()
        if script and a.audio:
            raise InvalidInput("audio", f"give either a script or audio for {m.model_id}, not both.")
        if script and m.speech == "own_voice":
            endpoint, spoken = self._own_voice(m, script, a, options, payload)
        elif script:
            _, tts = await self._inputs.audio_or_script(
                None, script, a.voice_id, duration_limit_s=limit, needs_wav=False, script_ok=True, model=m.model_id)
        elif a.audio:
            if a.voice_id:
                raise InvalidInput("voice_id", "only applies with a script; your audio already carries the voice.")
            audio, _ = await self._inputs.audio_or_script(
                a.audio, None, None, duration_limit_s=limit, needs_wav=False, script_ok=False, model=m.model_id,
                probe=True)
        else:
            raise InvalidInput("script", f"give a script for {m.model_id} to speak, or an audio file/URL as audio.")
        if getattr(options, "voice_description", None) and endpoint != m.text_endpoint:
            raise InvalidInput("options.voice_description", "only applies when Fabric speaks a script; send a "
                               "script instead of audio, or remove it.")
        seconds = audio.duration_s if audio is not None and audio.duration_s else _script_seconds(script)
        price = self.price_per_s(m.model_id, resolution)
        cost = None if price is None or seconds is None else round(price * seconds, 2)
        unpriced = self.unpriced_refusal(m.model_id)
        warnings = (faces.message, tts.warning if tts else None, spoken, unpriced and f"Price unknown: {unpriced}")
        request = FalRequest.model_validate({
            "model": m.model_id, "endpoint": endpoint, "payload": payload,
            "inputs": {"image_url": image, "audio_url": audio}, "tts": tts,
            "display": Display(script=script or None, voice_id=a.voice_id or (tts.voice_id if tts else None),
                               prompt=a.prompt),
            "warnings": warnings_of(*warnings), "speech_seconds": seconds, "price_per_s": price,
            "frames_from_speech": bool(m.fps) and frames is None,
        })
        return PreparedJob(self.name, request, "tts" if tts else "upload", cost)

    @staticmethod
    def _own_voice(m: FalModel, script: str, a: TalkingVideoArgs, options: Any, payload: dict[str, Any]
                   ) -> tuple[str, str]:
        """The model speaks the script itself: avatar4 with a HeyGen voice, Fabric through its /text endpoint."""
        if m.text_endpoint:
            if a.voice_id:
                raise InvalidInput("voice_id", f"{m.model_id} speaks a script in a voice it picks from the photo; "
                                   "describe the voice in options.voice_description instead.")
            payload["text"] = script
            if options.voice_description:
                payload["voice_description"] = options.voice_description
            return m.text_endpoint, f"{m.model_id} speaks the script itself (fal's {m.text_endpoint})."
        payload[m.fields["script"]] = script
        if a.voice_id:
            # [O endpoints.ts] `voice` is a HeyGen voice *name*; which names fal accepts is not listed there.
            payload[m.fields["voice_id"]] = a.voice_id
        return m.endpoint, f"{m.model_id} speaks the script itself with a HeyGen voice."

    # ---------------------------------------------------------------- steps

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        step = cast(Step, job.step or "upload")
        match step:
            case "tts":
                await ctl.update(state={**job.state, "detail": "Speaking the script with the offline voice."})
                await self._inputs.run_tts(job, ctl, target="audio_url")
                await ctl.update(step="upload", progress=0.04)
                return 0.0
            case "upload":
                await self._upload_large(job, ctl)
                await ctl.update(step="submit")
                return 0.0
            case "submit":
                return await self._submit(job, ctl)
            case "poll":
                return await self._poll(job, ctl)
            case "result":
                return await self._result(job, ctl)
            case "download":
                assert job.output_url
                await ctl.update(progress=0.97, state={**job.state, "detail": "Downloading the video from fal."})
                await ctl.download(job.output_url)
                await ctl.finish()
                return None
        raise ProviderError(f"unknown step {step!r}")

    def _job_retry(self, ctl: JobControl) -> RetryPolicy:
        return self._access.retry.scaled(ctl.scaled(1.0))

    async def _upload_large(self, job: JobRecord, ctl: JobControl) -> None:
        """Files over the inline limit go through fal's storage upload, once each (the URL is recorded)."""
        state = dict(ctl.job.state)
        uploaded: dict[str, str] = dict(state.get("uploaded") or {})
        for name, spec in job_files(job).items():
            if name in uploaded or spec.path is None:
                continue
            path = Path(spec.path)
            if (await anyio.Path(path).stat()).st_size <= self.inline_max_bytes:
                continue
            await ctl.update(step="upload", status="processing",
                             state={**state, "detail": f"Uploading {path.name} to fal's storage."})
            uploaded[name] = await self._upload(path, spec.mime, self._job_retry(ctl))
            state = {**ctl.job.state, "uploaded": dict(uploaded)}
            await ctl.update(state=state)

    async def _upload_token(self, retry: RetryPolicy) -> _UploadToken:
        if self._token is not None and self._token.expires_at - _TOKEN_MARGIN_S > time.time():
            return self._token
        response = await self._access.send(
            "POST", self.hosts.token_url, idempotent=True, retry=retry, headers=self._headers(),
            params={"storage_type": "fal-cdn-v3"}, json={}, describe="the upload token request")
        wire.raise_for_status(response, "the upload token request")
        body = json_or_none(response)
        try:
            token = _UploadToken(str(body["token"]), str(body["token_type"]), str(body["base_url"]).rstrip("/"),
                                 _timestamp(str(body["expires_at"])))
        except (TypeError, KeyError, ValueError):
            raise TransientProviderError("fal's upload token answer could not be read") from None
        self._token = token
        return token

    async def _upload(self, path: Path, mime: str | None, retry: RetryPolicy) -> str:
        token = await self._upload_token(retry)
        data = await anyio.Path(path).read_bytes()
        headers = {"authorization": f"{token.token_type} {token.token}", "x-fal-file-name": path.name,
                   "content-type": mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"}
        # Safe to repeat: an upload costs nothing and a second one only leaves a second file.
        response = await self._access.send("POST", f"{token.base_url}/files/upload", idempotent=True, retry=retry,
                                           headers=headers, content=data, describe="the file upload")
        if response.status_code == 401:
            self._token = None
            raise TransientProviderError("fal refused the upload token; a new one is asked for")
        wire.raise_for_status(response, "the file upload")
        url = (json_or_none(response) or {}).get("access_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise TransientProviderError("fal's upload answer carried no access_url")
        return url

    async def _payload(self, job: JobRecord, request: FalRequest) -> dict[str, Any]:
        payload = dict(request.payload)
        uploaded = job.state.get("uploaded") or {}
        for name, spec in job_files(job).items():
            if name in uploaded:
                payload[name] = uploaded[name]
            elif spec.url:
                payload[name] = spec.url
            elif spec.path:
                payload[name] = await anyio.to_thread.run_sync(file_data_url, Path(spec.path), spec.mime)
        if request.frames_from_speech and "num_frames" not in payload:
            seconds = await self._speech_seconds(job, request)
            if seconds:
                # [I] 25 fps; a few frames over the speech so its end is not cut.
                payload["num_frames"] = max(41, min(721, round(seconds * 25) + 5))
        return payload

    async def _speech_seconds(self, job: JobRecord, request: FalRequest) -> float | None:
        spoken = job.state.get("files", {}).get("audio_url")
        if not spoken:
            return request.speech_seconds
        from talking_video_mcp.media.audio import probe_audio  # NumPy and PyAV: kept off the start-up path

        info = await anyio.to_thread.run_sync(probe_audio, Path(spoken["path"]))
        return float(info.duration_s)

    async def _submit(self, job: JobRecord, ctl: JobControl) -> float | None:
        request = fal_request(job)
        refusal = self.unpriced_refusal(job.model)
        if refusal:  # the spend guard's rule, kept here too: nothing is sent for a model of unknown price
            await ctl.fail(f"{refusal} Nothing was submitted or charged.")
            return None
        payload = await self._payload(job, request)
        m = BY_ID[job.model]

        async def post() -> httpx.Response:
            return await self._access.send("POST", self.hosts.submit_url(request.endpoint), idempotent=False,
                                           headers=self._headers(), json=payload, describe="the paid submit")

        response = await ctl.paid_submit("fal.submit", post)
        if response.status_code in (502, 504):
            raise SubmitOutcomeUnknown(f"fal answered HTTP {response.status_code} to the submit; it may be queued")
        if response.status_code in (400, 422):
            items = wire.detail_items(json_or_none(response))
            raise ProviderError(wire.refusal_sentence(m, items, "invalid input"), status_code=response.status_code)
        wire.raise_for_status(response, "the submit")
        handle = wire.handle_of(json_or_none(response), self.hosts)
        if handle is None:
            raise SubmitOutcomeUnknown("fal's answer to the submit could not be read (no request_id or queue URLs)")
        state = {**job.state, "request_id": handle.request_id, "status_url": handle.status_url,
                 "response_url": handle.response_url, "cancel_url": handle.cancel_url,
                 "detail": "Submitted to fal's queue."}
        # This write records the request id and clears the in-flight mark together (see paid_submit).
        await ctl.update(state=state, step="poll", status="queued", progress=0.05)
        return ctl.scaled(next_poll_delay(0.0, m.typical_s))

    def _elapsed(self, job: JobRecord, ctl: JobControl) -> float:
        started = job.submitted_at or job.created_at
        return max(0.0, ctl.job.updated_at - started) / max(ctl.scaled(1.0), 1e-9)

    async def _poll(self, job: JobRecord, ctl: JobControl) -> float | None:
        m = BY_ID[job.model]
        response = await self._access.send("GET", job.state["status_url"], idempotent=True, retry=self._job_retry(ctl),
                                           headers=self._headers(), params={"logs": "1"}, describe="the status check")
        await ctl.update(polls=job.polls + 1)
        if response.status_code == 404:
            await ctl.fail("fal no longer knows this request; the video could not be fetched.", status="expired")
            return None
        wire.raise_for_status(response, "the status check")
        body = json_or_none(response)
        if not isinstance(body, Mapping) or not body.get("status"):
            raise TransientProviderError("fal's status answer carried no status")
        status, detail = wire.queue_detail(body)
        if status == "COMPLETED":
            if body.get("error") or body.get("error_type"):
                await self._failed(ctl.job, ctl, body)
                return None
            await ctl.update(step="result", status="processing", progress=0.95,
                             state={**ctl.job.state, "detail": "fal finished the video."})
            return 0.0
        elapsed = self._elapsed(ctl.job, ctl)
        state = {**ctl.job.state, "detail": detail, "fal_status": status}
        if status == "IN_QUEUE":
            position = body.get("queue_position")
            state["queue_position"] = position if isinstance(position, int) else None
            state["eta_at"] = time.time() + ctl.scaled(m.typical_s)
            await ctl.update(status="queued", state=state, progress=max(ctl.job.progress, 0.05))
        elif status == "IN_PROGRESS":
            started = float(state.get("running_since") or ctl.job.updated_at)
            state["running_since"] = started
            state["eta_at"] = started + ctl.scaled(m.typical_s)
            state.pop("queue_position", None)
            await ctl.update(status="processing", state=state,
                             progress=max(ctl.job.progress, progress_estimate(elapsed, m.typical_s)))
        else:
            log.warning("unexpected fal status %r for %s; polling on", status, job.id)
        return ctl.scaled(next_poll_delay(elapsed, m.typical_s))

    async def _failed(self, job: JobRecord, ctl: JobControl, status_body: Mapping[str, Any]) -> None:
        """fal finished the request with an error: word it (the result's `detail` names the field), and give
        the estimate back to the daily budget, since fal bills only successful outputs."""
        m = BY_ID[job.model]
        items: list[Mapping[str, Any]] = []
        # [I] the response_url of a failed request answers fal's error body (422 `detail` with the field); the
        # status's `error`/`error_type` [O client.py] is the fallback when it does not.
        response = await self._access.send("GET", job.state["response_url"], idempotent=True,
                                           retry=self._job_retry(ctl), headers=self._headers(),
                                           describe="the error details")
        if response.status_code in (400, 422):
            items = wire.detail_items(json_or_none(response))
        if not items:
            items = [{"loc": [], "msg": str(status_body.get("error") or "no reason given"),
                      "type": str(status_body.get("error_type") or "")}]
        sentence = wire.refusal_sentence(m, items, "the request failed")
        await self._return_estimate(ctl)
        await ctl.fail(f"fal could not make the video: {sentence} fal bills only successful outputs, so this "
                       "job's estimate went back to today's budget.")

    @staticmethod
    async def _return_estimate(ctl: JobControl) -> None:
        job = ctl.job
        if job.cost_estimate_usd:
            await ctl.update(cost_estimate_usd=0.0, state={**job.state, "estimate_returned_usd": job.cost_estimate_usd})

    async def _result(self, job: JobRecord, ctl: JobControl) -> float | None:
        response = await self._access.send("GET", job.state["response_url"], idempotent=True,
                                           retry=self._job_retry(ctl), headers=self._headers(),
                                           describe="the result request")
        if response.status_code == 404:
            await ctl.fail("fal no longer knows this request; the video could not be fetched.", status="expired")
            return None
        if response.status_code in (400, 422):
            status = {"error": "the request failed", "error_type": ""}
            await self._failed(job, ctl, status)
            return None
        wire.raise_for_status(response, "the result request")
        url = wire.video_url(json_or_none(response))
        if not url:
            raise TransientProviderError("fal's result carried no video URL")
        await ctl.update(output_url=url, step="download")
        return 0.0

    # ---------------------------------------------------------------- cancel

    def describe(self, job: JobRecord) -> JobProgress | None:
        """Queue position or fal's latest log line, and the ETA from fal's queue state (check_video_status)."""
        detail, eta = job_detail(job), job_eta_s(job)
        return JobProgress(detail, eta) if detail or eta is not None else None

    async def cancel(self, job: JobRecord) -> CancelOutcome:
        """Ask fal to cancel through the request's cancel_url, and say honestly what happened."""
        url = job.state.get("cancel_url")
        if not url:
            return CancelOutcome("NOT_SUBMITTED", "Canceled before the job reached fal, so nothing was charged.",
                                 estimate_returned=True)
        response = await self._access.send("PUT", url, idempotent=True, headers=self._headers(),
                                           describe="the cancel request", urgent=True)
        body = json_or_none(response)
        said = str(body.get("status") or "") if isinstance(body, Mapping) else ""
        if response.status_code == 202 or said == "CANCELLATION_REQUESTED":
            # [O] a queued request is dropped; a running one only gets a best-effort signal, and fal bills only
            # successful outputs, so one that finishes anyway may still be billed.
            return CancelOutcome("CANCELLATION_REQUESTED", "fal accepted the cancellation (CANCELLATION_REQUESTED); "
                                 "it bills only finished videos, so nothing is charged unless the video was already "
                                 "being finished, and the estimate went back to today's budget.",
                                 estimate_returned=True)
        if said == "ALREADY_COMPLETED":
            return CancelOutcome("ALREADY_COMPLETED", "fal had already finished this request (ALREADY_COMPLETED), "
                                 "so it could not be canceled and is billed; the job goes on to fetch the video.",
                                 finished=True)
        if response.status_code == 404 or said == "NOT_FOUND":
            return CancelOutcome("NOT_FOUND", "fal no longer knows this request (NOT_FOUND); the job is marked "
                                 "canceled.")
        wire.raise_for_status(response, "the cancel request")
        raise ProviderError(f"fal answered HTTP {response.status_code} to the cancel request")

    # ---------------------------------------------------------------- catalog, account, doctor

    async def check_key(self) -> KeyCheck:
        """The doctor's check: an upload token (free; it proves the key) [I: fal has no documented
        key-check or balance endpoint, so this is the cheapest authenticated request we know]."""
        if not self.configured:
            return KeyCheck("unconfigured", "FAL_KEY is not set: the fal models are off.")
        try:
            response = await self._access.send(
                "POST", self.hosts.token_url, idempotent=True, retry=RetryPolicy(attempts=1),
                headers=self._headers(), params={"storage_type": "fal-cdn-v3"}, json={}, describe="the key check",
                urgent=True)
        except ProviderError as exc:
            return KeyCheck("unreachable", f"fal could not be reached at {self.hosts.rest} ({exc}).")
        if response.status_code in (401, 403):
            return KeyCheck("rejected", f"fal rejected FAL_KEY (HTTP {response.status_code}); check the key.")
        if response.status_code >= 400:
            return KeyCheck("unreachable", f"fal answered HTTP {response.status_code} to the key check.")
        return KeyCheck("ok", "fal accepts FAL_KEY.")

    async def account(self) -> ProviderAccount:
        return ProviderAccount(
            provider=self.name, configured=self.configured, endpoint=self.hosts.queue,
            models=[m.model_id for m in MODELS],
            note="fal publishes no balance API in our sources; see fal's dashboard for usage and credit.")

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        return VoiceList(voices=[], total=0, notes=[
            "fal's audio-only models speak a script with this server's offline voices (see list_voices).",
            "fal/heygen-avatar4 takes a HeyGen voice name as voice_id; fal/fabric-1.0 picks a voice from the "
            "photo (describe it in options.voice_description).",
        ])

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        return AvatarPresetList(presets=[], total=0, next_cursor=None)

    async def aclose(self) -> None:
        return None


def _options(m: FalModel, given: Mapping[str, Any]) -> Any:
    try:
        return m.options.model_validate(dict(given))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "options"
        known = ", ".join(m.options.model_fields) or "none"
        if error["type"] == "extra_forbidden":
            raise InvalidInput(f"options.{where}", f"is not an option of {m.model_id}; its options: {known}.") from None
        raise InvalidInput(f"options.{where}", f"{error['msg']} for {m.model_id}.") from None


def _choice(name: str, value: str | None, allowed: tuple[str, ...], model: str) -> str | None:
    if not allowed:
        if value is not None:
            raise InvalidInput(name, f"does not apply to {model}; remove it.")
        return None
    if value is None:
        return allowed[0]
    if value not in allowed:
        raise InvalidInput(name, f"{value!r} is not offered by {model}; use one of {', '.join(allowed)}.")
    return value


def _script_seconds(script: str | None) -> float | None:
    words = len((script or "").split())
    return round(words / WORDS_PER_SECOND + 0.5, 1) if words else None


def _timestamp(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


__all__ = ["FalProvider", "fal_request", "job_detail", "job_eta_s"]
