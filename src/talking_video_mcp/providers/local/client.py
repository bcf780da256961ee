"""The offline provider: speech with bundled voices and a CPU talking-head renderer. No key, no network."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, cast

import anyio
import anyio.from_thread

from talking_video_mcp.domain.eta import PLAN_KEY, RECENT_WINDOW, RENDER_SPAN, RENDER_START, RenderPlan
from talking_video_mcp.domain.paging import paginate
from talking_video_mcp.domain.provider import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import Display, SpeechArgs, TalkingVideoArgs, ToolArgs, warnings_of
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.image import LOCAL_MAX_BYTES, LOCAL_MAX_SIDE
from talking_video_mcp.models import (
    AvatarPreset,
    AvatarPresetList,
    ProviderAccount,
    Voice,
    VoiceList,
)
from talking_video_mcp.providers.inputs_stage import InputsStage, job_files
from talking_video_mcp.providers.local.models import MODELS
from talking_video_mcp.providers.local.requests import MODEL_LOCAL, MODEL_LOCAL_TTS, LocalRequest, LocalSpeechRequest
from talking_video_mcp.providers.render_rate import RenderRates
from talking_video_mcp.render.presets import list_presets, preset_gender
from talking_video_mcp.tts import list_voices

log = logging.getLogger(__name__)

PRESET_PREFIX = "local:"
_FRAMINGS: dict[str | None, Literal["photo", "portrait", "square", "landscape"]] = {
    None: "photo", "9:16": "portrait", "1:1": "square", "16:9": "landscape"}
RESOLUTIONS = {"512p": 512, "720p": 720, "1080p": 1080}
Step = Literal["tts", "render"]


class RenderCanceledError(Exception):
    pass


def preset_path(preset_id: str) -> Path | None:
    """A local preset id (`local:<name>`, or the bare name) → its bundled image."""
    name = preset_id.removeprefix(PRESET_PREFIX)
    for preset in list_presets():
        if preset.preset_id in (name, preset_id):
            return Path(preset.path)
    return None


class LocalProvider:
    name = "local"
    # The offline voice runs where the render will (its WAV is a file in that process's scratch folder): on a
    # worker, so replicas that share no disk with it never hold half a job.
    heavy_steps: frozenset[str] = frozenset({"tts", "render"})
    models: tuple[ModelSpec, ...] = MODELS

    def __init__(self, *, inputs: InputsStage, rates: RenderRates, max_size: int = 512) -> None:
        self._inputs = inputs
        self._rates = rates
        self.max_size = max_size
        self._voices: tuple[Voice, ...] | None = None

    @property
    def configured(self) -> bool:
        return True

    def estimate_cost(self, model: str, args: ToolArgs) -> float | None:
        return 0.0

    async def prepare(self, model: str, args: ToolArgs) -> PreparedJob:
        if model == MODEL_LOCAL_TTS and isinstance(args, SpeechArgs):
            text = args.text.strip()
            if not text:
                raise InvalidInput("text", "give the text to speak.")
            _, tts = await self._inputs.audio_or_script(
                None, text, args.voice_id, duration_limit_s=None, needs_wav=False, script_ok=True
            )
            assert tts is not None
            speech = LocalSpeechRequest(tts=tts, display=Display(script=text, voice_id=tts.voice_id),
                                        warnings=warnings_of(tts.warning))
            return PreparedJob(self.name, speech, "tts", 0.0, kind="speech")
        if model != MODEL_LOCAL or not isinstance(args, TalkingVideoArgs):
            raise InvalidInput("model", f"{model!r} is not a local model for this tool.")
        face_index: int | None = args.option("face_index")
        resolution = _resolution(args.resolution)
        image = await self._inputs.image(args.image, args.avatar_preset_id, upload_supported=True,
                                         max_side=LOCAL_MAX_SIDE, max_bytes=LOCAL_MAX_BYTES)
        faces = await self._inputs.faces(image)
        if face_index is not None and face_index >= faces.count:
            raise InvalidInput("options.face_index", f"the photo has {faces.count} face(s), numbered 0 to "
                               f"{faces.count - 1} from the largest ({', '.join(map(str, faces.boxes))}); pick one of "
                               "those.")
        audio, tts = await self._inputs.audio_or_script(
            args.audio, args.script, args.voice_id, duration_limit_s=None, needs_wav=False, script_ok=True, probe=True,
            gender=preset_gender(args.avatar_preset_id),
        )
        several = faces.message if faces.count > 1 and face_index is None else None
        request = LocalRequest(
            inputs={"image": image, "audio": audio}, tts=tts, seed=args.seed or 0, resolution=resolution,
            framing=_FRAMINGS[args.aspect_ratio], face_index=face_index,
            display=Display(script=args.script, voice_id=tts.voice_id if tts else None,
                            aspect_ratio=args.aspect_ratio, resolution=args.resolution),
            warnings=warnings_of(several, tts.warning if tts else None),
        )
        return PreparedJob(self.name, request, "tts" if tts else "render", 0.0)

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        step = cast(Step, job.step or "render")
        match step:
            case "tts":
                wav = await self._inputs.run_tts(job, ctl, target="audio")
                if job.kind == "speech":
                    final = ctl.scratch_dir.parent / "videos" / f"{job.id}.wav"
                    wav.replace(final)
                    await ctl.finish(audio_path=str(final))
                    return None
                # Queued again: it waits for a render slot (the view says where it stands in line).
                await ctl.update(step="render", status="queued")
                return 0.0
            case "render":
                await self._render(ctl)
                return None
        raise InvalidInput("step", f"unknown step {step!r}")

    async def _render(self, ctl: JobControl) -> None:
        job = ctl.job
        request = job.request
        assert isinstance(request, LocalRequest)
        files = job_files(job)
        await ctl.update(step="render", status="processing", progress=max(job.progress, 0.05))
        image = await self._inputs.local_file(files["image"], field="image")
        audio = await self._inputs.local_file(files["audio"], field="audio")
        out = ctl.scratch_dir.parent / "videos" / f"{job.id}.mp4"
        audio_s = await anyio.to_thread.run_sync(audio_seconds, audio)
        plan = RenderPlan(audio_s=round(audio_s, 2), expected_s=round(self._rates.expected_s(request.resolution,
                          audio_s), 1), started_at=time.time())
        await ctl.update(state={**ctl.job.state, PLAN_KEY: plan.as_state()})
        on_progress = self._progress_writer(ctl, plan)

        timing = files["audio"].phonemes

        def render() -> None:
            # OpenCV, onnxruntime and PyAV load here, in the job, never at server start-up.
            from talking_video_mcp.render import AudioUnusable, RenderCanceled, render_talking_head

            phonemes = [tuple(p) for p in json.loads(Path(timing).read_text())] if timing else None
            try:
                render_talking_head(
                    image, audio, out, max_size=self.max_size, seed=request.seed,
                    resolution=request.resolution or "auto", framing=request.framing, face_index=request.face_index,
                    phonemes=phonemes, on_progress=on_progress, should_cancel=ctl.canceled,
                )
            except RenderCanceled:
                raise RenderCanceledError from None
            except AudioUnusable as exc:
                raise InvalidInput("audio", str(exc)) from None
            except ValueError as exc:
                raise InvalidInput("image", str(exc)) from None

        try:
            await anyio.to_thread.run_sync(render)
        except RenderCanceledError:
            return
        took = time.time() - plan.started_at
        await anyio.to_thread.run_sync(self._rates.record, request.resolution, audio_s, took)
        await ctl.finish(video_path=str(out))

    @staticmethod
    def _progress_writer(ctl: JobControl, plan: RenderPlan) -> Callable[[float], None]:
        """The renderer's progress callback (it runs in the render thread): the job's progress every 2 %, with
        when the first frames were timed and a point about a tenth of the frames back, so the ETA can measure
        this render's own speed, overall and lately (domain/eta.py)."""
        last = [0.0]
        seen: list[tuple[float, float]] = []  # (time, fraction) of each write

        def on_progress(fraction: float) -> None:
            value = round(RENDER_START + RENDER_SPAN * fraction, 3)
            if value - last[0] < 0.02 and (seen or fraction <= 0):
                return
            last[0] = value
            fields: dict[str, Any] = {"progress": value}
            if fraction > 0:
                now = time.time()
                first_at, first_fraction = seen[0] if seen else (now, fraction)
                mark = next((p for p in reversed(seen) if p[1] <= fraction - RECENT_WINDOW), None)
                seen.append((now, fraction))
                timed = replace(plan, first_at=first_at, first_fraction=first_fraction,
                                mark_at=mark[0] if mark else None, mark_fraction=mark[1] if mark else None)
                fields["state"] = {**ctl.job.state, PLAN_KEY: timed.as_state()}
            # A canceled job makes update raise; the renderer notices through should_cancel.
            with contextlib.suppress(Exception):
                anyio.from_thread.run(lambda: ctl.update(**fields))

        return on_progress

    async def account(self) -> ProviderAccount:
        return ProviderAccount(provider="local", configured=True, endpoint=None, balance=None,
                               models=[MODEL_LOCAL])

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        if self._voices is None:
            # The offline voices are fixed for the life of the process: made once (under load, making them on
            # every call was most of list_voices' own CPU time; benchmarks/bench_concurrent.py).
            self._voices = tuple(
                Voice(voice_id=v.voice_id, name=v.name, provider="local", language=v.language, gender=v.gender,
                      description=f"offline {v.engine} voice", models=[MODEL_LOCAL])
                for v in await anyio.to_thread.run_sync(list_voices)
            )
        voices = list(self._voices)
        if search:
            voices = [v for v in voices if search.lower() in f"{v.name} {v.voice_id}".lower()]
        page, next_cursor = paginate(voices, limit, cursor)
        return VoiceList(voices=page, total=len(voices), next_cursor=next_cursor)

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        presets = [
            AvatarPreset(avatar_preset_id=f"{PRESET_PREFIX}{p.preset_id}", name=p.name, provider="local",
                         image_path=str(p.path), width=p.width, height=p.height, license=p.license,
                         models=[MODEL_LOCAL])
            for p in await anyio.to_thread.run_sync(list_presets)
        ]
        if search:
            presets = [p for p in presets if search.lower() in p.name.lower()]
        page, next_cursor = paginate(presets, limit, cursor)
        return AvatarPresetList(presets=page, total=len(presets), next_cursor=next_cursor)

    async def aclose(self) -> None:
        return None


def audio_seconds(path: Path) -> float:
    """The audio's length, from a WAV header when it is one (instant), else by decoding it (blocking)."""
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 1)
    except (wave.Error, EOFError, OSError):
        from talking_video_mcp.media.audio import probe_audio  # PyAV: only for audio that is not WAV

        try:
            return float(probe_audio(path).duration_s)
        except ValueError:
            return 0.0  # the renderer says what is wrong with it


def _resolution(value: str | None) -> int | None:
    if value is None:
        return None
    if value not in RESOLUTIONS:
        raise InvalidInput("resolution", f"{value!r} is not a local video size; use 512p, 720p or 1080p, or leave it "
                           "out for the largest the photo allows (up to 1080p).")
    return RESOLUTIONS[value]
