"""The offline provider: speech with bundled voices and a CPU talking-head renderer. No key, no network."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.jobs.store import JobRecord
from talking_video_mcp.models import AvatarPreset, AvatarPresetList, ProviderAccount, Voice, VoiceList
from talking_video_mcp.providers.base import JobControl, ModelSpec, PreparedJob
from talking_video_mcp.providers.inputs_stage import InputsStage, paginate

log = logging.getLogger(__name__)

MODEL_LOCAL = "local"
MODEL_LOCAL_TTS = "local/tts"
PRESET_PREFIX = "local:"
_FOREIGN = (
    "quality", "enhance_prompt", "duration", "video_title", "video_orientation", "fit", "custom_motion_prompt",
    "enhance_custom_motion_prompt", "resolution", "audio_task_id",
)


class RenderCanceledError(Exception):
    pass


def preset_path(preset_id: str) -> Path | None:
    """A local preset id (`local:<name>`, or the bare name) → its bundled image."""
    from talking_video_mcp.render.presets import list_presets

    name = preset_id.removeprefix(PRESET_PREFIX)
    for preset in list_presets():
        if preset.preset_id in (name, preset_id):
            return Path(preset.path)
    return None


class LocalProvider:
    name = "local"
    heavy_steps: frozenset[str] = frozenset({"render"})
    models: tuple[ModelSpec, ...] = (
        ModelSpec(MODEL_LOCAL, "local", "Offline renderer", 10.0,
                  "photo + script (offline voices) or audio → talking head, rendered on this machine; free"),
        ModelSpec(MODEL_LOCAL_TTS, "local", "Offline text to speech", 3.0,
                  "script + offline voice → WAV", kind="speech"),
    )

    def __init__(self, *, inputs: InputsStage, max_size: int = 512) -> None:
        self._inputs = inputs
        self.max_size = max_size

    @property
    def configured(self) -> bool:
        return True

    def estimate_cost(self, model: str, params: Mapping[str, Any]) -> float | None:
        return 0.0

    async def prepare(self, model: str, params: Mapping[str, Any]) -> PreparedJob:
        if model == MODEL_LOCAL_TTS:
            text = (params.get("script") or params.get("text") or "").strip()
            if not text:
                raise InvalidInput("text", "give the text to speak.")
            _, tts = await self._inputs.audio_or_script(
                {"script": text, "voice_id": params.get("voice_id")}, duration_limit_s=None, needs_wav=False,
                script_ok=True,
            )
            return PreparedJob(MODEL_LOCAL_TTS, self.name, {"tts": tts, "display": {"script": text}}, "tts", 0.0,
                               kind="speech")
        for key in _FOREIGN:
            if params.get(key) is not None:
                raise InvalidInput(key, "does not apply to the local model; remove it.")
        image = await self._inputs.image(params, field="image", upload_supported=True)
        audio, tts = await self._inputs.audio_or_script(params, duration_limit_s=None, needs_wav=False, script_ok=True)
        request = {
            "inputs": {"image": image, "audio": audio},
            "tts": tts,
            "seed": params.get("seed") or 0,
            "display": {k: params.get(k) for k in ("script", "voice_id") if params.get(k)},
        }
        return PreparedJob(MODEL_LOCAL, self.name, request, "tts" if tts else "render", 0.0)

    async def advance(self, job: JobRecord, ctl: JobControl) -> float | None:
        step = job.step or "render"
        if step == "tts":
            wav = await self._inputs.run_tts(job, ctl, target="audio", wav=True)
            if job.kind == "speech":
                final = ctl.scratch_dir.parent / "videos" / f"{job.id}.wav"
                wav.replace(final)
                await ctl.finish(audio_path=str(final))
                return None
            await ctl.update(step="render")
            return 0.0
        if step == "render":
            await self._render(ctl)
            return None
        raise InvalidInput("step", f"unknown step {step!r}")

    async def _render(self, ctl: JobControl) -> None:
        job = ctl.job
        files = {**job.request["inputs"], **(job.state.get("files") or {})}
        await ctl.update(step="render", status="processing", progress=max(job.progress, 0.05))
        image = await self._inputs.local_file(files["image"], field="image")
        audio = await self._inputs.local_file(files["audio"], field="audio")
        out = ctl.scratch_dir.parent / "videos" / f"{job.id}.mp4"
        last = [0.0]

        def on_progress(fraction: float) -> None:
            value = round(0.1 + 0.88 * fraction, 3)
            if value - last[0] >= 0.02:
                last[0] = value
                # A canceled job makes update raise; the renderer notices through should_cancel.
                with contextlib.suppress(Exception):
                    anyio.from_thread.run(lambda: ctl.update(progress=value))

        timing = files["audio"].get("phonemes")

        def render() -> None:
            from talking_video_mcp.render import RenderCancelled, render_talking_head

            phonemes = [tuple(p) for p in json.loads(Path(timing).read_text())] if timing else None
            try:
                render_talking_head(
                    image, audio, out, max_size=self.max_size, seed=int(job.request.get("seed") or 0),
                    phonemes=phonemes, on_progress=on_progress, should_cancel=ctl.cancelled,
                )
            except RenderCancelled:
                raise RenderCanceledError from None
            except ValueError as exc:
                raise InvalidInput("image", str(exc)) from None

        try:
            await anyio.to_thread.run_sync(render)
        except RenderCanceledError:
            return
        await ctl.finish(video_path=str(out))

    async def account(self) -> ProviderAccount:
        return ProviderAccount(provider="local", configured=True, endpoint=None, balance=None,
                               models=[MODEL_LOCAL])

    async def list_voices(self, *, search: str | None, limit: int, cursor: str | None) -> VoiceList:
        from talking_video_mcp.tts import list_voices

        voices = [
            Voice(voice_id=v.voice_id, name=v.name, provider="local", language=v.language, gender=v.gender,
                  description=f"offline {v.engine} voice", models=["local", "segmind/higgsfield-speech2video"])
            for v in await anyio.to_thread.run_sync(list_voices)
        ]
        if search:
            voices = [v for v in voices if search.lower() in f"{v.name} {v.voice_id}".lower()]
        page, next_cursor = paginate(voices, limit, cursor)
        return VoiceList(voices=page, total=len(voices), next_cursor=next_cursor)

    async def list_avatar_presets(self, *, search: str | None, limit: int, cursor: str | None) -> AvatarPresetList:
        from talking_video_mcp.render.presets import list_presets

        presets = [
            AvatarPreset(avatar_preset_id=f"{PRESET_PREFIX}{p.preset_id}", name=p.name, provider="local",
                         image_path=str(p.path), width=p.width, height=p.height, license=p.license,
                         models=["local", "segmind/higgsfield-speech2video", "segmind/heygen-avatar-iv"])
            for p in await anyio.to_thread.run_sync(list_presets)
        ]
        if search:
            presets = [p for p in presets if search.lower() in p.name.lower()]
        page, next_cursor = paginate(presets, limit, cursor)
        return AvatarPresetList(presets=page, total=len(presets), next_cursor=next_cursor)

    async def aclose(self) -> None:
        return None
