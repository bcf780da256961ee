"""completion/complete: the values a client may offer while a person fills in the make_talking_video prompt
(voice, preset, model) or the `video://jobs/{job_id}` template (the caller's own jobs)."""

from __future__ import annotations

import anyio

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.services import Services
from talking_video_mcp.tools import catalog

MAX_VALUES = 100  # the protocol's limit per answer


def _matching(values: list[str], prefix: str, names: dict[str, str] | None = None) -> list[str]:
    """Values whose id (or name: "no" finds voice Nova by its hex id) starts with what was typed, case-insensitive,
    then those that merely contain it."""
    typed = prefix.strip().lower()
    names = names or {}

    def texts(value: str) -> list[str]:
        return [value.lower(), names.get(value, "").lower()]

    first = [v for v in values if any(t.startswith(typed) for t in texts(v) if t)]
    rest = [v for v in values if typed and any(typed in t for t in texts(v)) and v not in first]
    return list(dict.fromkeys(first + rest))


async def prompt_values(state: Services, argument: str, prefix: str, model: str | None = None) -> list[str]:
    """Values for an argument of make_talking_video; `model`, when already chosen, narrows voices and presets."""
    try:
        if argument == "model":
            return _matching([s.model_id for s in state.registry.specs() if s.kind == "talking_video"
                              and state.registry.providers[s.provider].configured], prefix)
        if argument == "voice":
            voices = [v for v in (await catalog.list_voices(state, limit=10_000)).voices
                      if not model or not v.models or model in v.models]
            return _matching([v.voice_id for v in voices], prefix, {v.voice_id: v.name for v in voices})
        if argument == "preset":
            presets = [p for p in (await catalog.list_avatar_presets(state, limit=10_000)).presets
                       if not model or not p.models or model in p.models]
            return _matching([p.avatar_preset_id for p in presets], prefix,
                             {p.avatar_preset_id: p.name for p in presets})
    except TalkingVideoError:
        return []
    return []


async def job_ids(state: Services, prefix: str) -> list[str]:
    """The caller's own jobs, newest first (another user's are never offered)."""
    rows = await anyio.to_thread.run_sync(lambda: state.store.list_jobs(limit=500, owner=state.owner_id))
    return _matching([r.id for r in rows], prefix)
