"""text_to_speech: Higgsfield TTS at Unifically, or the offline voices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.models import JobView
from talking_video_mcp.providers.local import MODEL_LOCAL_TTS
from talking_video_mcp.providers.unifically_catalog import MODEL_TTS
from talking_video_mcp.runtime import AppState
from talking_video_mcp.tools.jobs import Progress
from talking_video_mcp.tools.video import submit_job

LOCAL_VOICE_PREFIXES = ("piper:", "espeak:")


def speech_model(state: AppState, provider: str | None, voice_id: str | None) -> str:
    if provider is None:
        local_voice = (voice_id or "").startswith(LOCAL_VOICE_PREFIXES)
        provider = "local" if local_voice or not state.registry.providers["unifically"].configured else "unifically"
    if provider == "local":
        return MODEL_LOCAL_TTS
    if provider == "unifically":
        return MODEL_TTS
    raise InvalidInput("provider", "text_to_speech runs on 'local' (offline voices) or 'unifically'.")


async def text_to_speech(
    state: AppState, params: Mapping[str, Any], *, approved: bool | None = None, progress: Progress | None = None
) -> JobView:
    model = speech_model(state, params.get("provider"), params.get("voice_id"))
    if model == MODEL_LOCAL_TTS:
        for name in ("sound_id", "similarity_boost", "style", "stability"):
            if params.get(name) is not None:
                raise InvalidInput(name, "only applies to provider='unifically'; remove it for offline voices.")
    job_params = {k: v for k, v in params.items() if k != "provider"}
    return await submit_job(state, model, job_params, approved=approved, progress=progress)
