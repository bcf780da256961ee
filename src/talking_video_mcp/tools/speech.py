"""text_to_speech: Higgsfield TTS at Unifically, or the offline voices."""

from __future__ import annotations

from talking_video_mcp.domain.requests import SpeechArgs, SubmitOptions
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.models import MODEL_LOCAL_TTS, MODEL_TTS, JobView
from talking_video_mcp.services import Services
from talking_video_mcp.tools.jobs import Progress
from talking_video_mcp.tools.video import submit_job

LOCAL_VOICE_PREFIXES = ("piper:", "espeak:")
_UNIFICALLY_ONLY = ("sound_id", "similarity_boost", "style", "stability")


def speech_model(state: Services, provider: str | None, voice_id: str | None) -> str:
    if provider is None:
        local_voice = (voice_id or "").startswith(LOCAL_VOICE_PREFIXES)
        provider = "local" if local_voice or not state.registry.providers["unifically"].configured else "unifically"
    if provider == "local":
        return MODEL_LOCAL_TTS
    if provider == "unifically":
        return MODEL_TTS
    raise InvalidInput("provider", "text_to_speech runs on 'local' (offline voices) or 'unifically'.")


async def text_to_speech(
    state: Services,
    provider: str | None,
    args: SpeechArgs,
    options: SubmitOptions,
    *,
    approved: bool | None = None,
    progress: Progress | None = None,
) -> JobView:
    model = speech_model(state, provider, args.voice_id)
    if model == MODEL_LOCAL_TTS:
        for name in _UNIFICALLY_ONLY:
            if getattr(args, name) is not None:
                raise InvalidInput(name, "only applies to provider='unifically'; remove it for offline voices.")
    return await submit_job(state, model, args, options, approved=approved, progress=progress)
