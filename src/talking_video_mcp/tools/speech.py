"""text_to_speech: the speech models the providers declare (kind 'speech'), the offline voices by default."""

from __future__ import annotations

from talking_video_mcp.domain.requests import SpeechArgs, SubmitOptions
from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.models import JobView
from talking_video_mcp.providers.registry import FREE_MODEL
from talking_video_mcp.services import Services
from talking_video_mcp.tools.jobs import Progress
from talking_video_mcp.tools.video import submit_job

LOCAL_VOICE_PREFIXES = ("piper:", "espeak:")


def speech_model(state: Services, provider: str | None, voice_id: str | None) -> str:
    """The speech model of `provider`; unnamed: the offline voices for their own voice ids or when no cloud
    speech model is configured, else the first configured one."""
    registry = state.registry
    if provider is None:
        cloud = [s for s in registry.specs("speech")
                 if s.provider != FREE_MODEL and registry.providers[s.provider].configured]
        local_voice = (voice_id or "").startswith(LOCAL_VOICE_PREFIXES)
        provider = FREE_MODEL if local_voice or not voice_id or not cloud else cloud[0].provider
    model = registry.speech_model(provider)
    if model is None:
        names = ", ".join(f"'{s.provider}'" for s in registry.specs("speech"))
        raise InvalidInput("provider", f"text_to_speech runs on {names}.")
    return model


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
    args = args.model_copy(update={"options": state.registry.check_options(model, args.options)})
    return await submit_job(state, model, args, options, approved=approved, progress=progress)
