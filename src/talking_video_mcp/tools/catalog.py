"""list_voices and list_avatar_presets: every configured provider, merged, filtered, paged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from talking_video_mcp.domain.paging import paginate
from talking_video_mcp.domain.provider import Provider
from talking_video_mcp.errors import InvalidInput, ProviderError
from talking_video_mcp.models import (
    AvatarPreset,
    AvatarPresetList,
    Motion,
    MotionList,
    Sound,
    SoundList,
    Voice,
    VoiceList,
)
from talking_video_mcp.services import Services
from talking_video_mcp.tools.language_filter import speaks

_ALL = 10_000
T = TypeVar("T")


def _providers(state: Services, provider: str | None) -> list[str]:
    if provider:
        if provider not in state.registry.providers:
            names = ", ".join(state.registry.providers)
            raise InvalidInput("provider", f"{provider!r} is not a provider here; use one of: {names}.")
        if not state.registry.providers[provider].configured:
            key = state.registry.key_env(provider) or "its API key"
            raise InvalidInput("provider", f"{provider} has no API key configured on this server (set {key}).")
        return [provider]
    return [p.name for p in state.registry if p.configured]


async def _gather(
    state: Services, provider: str | None, what: str,
    fetch: Callable[[Provider], Awaitable[tuple[Sequence[T], list[str]]]],
) -> tuple[list[T], list[str]]:
    """Every configured provider's items, merged; a provider that fails adds a note instead of an error."""
    items: list[T] = []
    notes: list[str] = []
    for name in _providers(state, provider):
        try:
            found, extra = await fetch(state.registry.providers[name])
        except ProviderError as exc:
            notes.append(f"{name}: {what} unavailable ({exc})")
            continue
        items.extend(found)
        notes.extend(f"{name}: {note}" for note in extra)
    return items, notes


async def list_voices(
    state: Services, *, provider: str | None = None, search: str | None = None, gender: str | None = None,
    language: str | None = None, limit: int = 20, cursor: str | None = None,
) -> VoiceList:
    async def fetch(source: Provider) -> tuple[list[Voice], list[str]]:
        result = await source.list_voices(search=search, limit=_ALL, cursor=None)
        return result.voices, result.notes

    voices, notes = await _gather(state, provider, "voices", fetch)
    if gender:
        voices = [v for v in voices if (v.gender or "").lower().startswith(gender.lower())]
    if language:
        voices = [v for v in voices if speaks(v.language, language)]
    if language and not voices:
        notes.append(_no_voice_note(state, language))
    page, next_cursor = paginate(voices, limit, cursor)
    return VoiceList(voices=page, total=len(voices), next_cursor=next_cursor, notes=notes)


def _no_voice_note(state: Services, language: str) -> str:
    """What to try when no voice is listed for a language; it names only providers configured here."""
    cloud = [p.name for p in state.registry if p.configured and state.registry.key_env(p.name)]
    instead = (f"a cloud provider's voices may list no language, so try provider='{cloud[0]}' without it, or pass "
               "your own recording as audio" if cloud else "or pass your own recording as audio")
    return (f"No voice here is listed for language {language!r}: check the code (e.g. 'de', 'pt-BR') or the "
            f"language's name ('German', 'Deutsch'); {instead}.")


async def list_avatar_presets(
    state: Services, *, provider: str | None = None, search: str | None = None, limit: int = 20,
    cursor: str | None = None,
) -> AvatarPresetList:
    async def fetch(source: Provider) -> tuple[list[AvatarPreset], list[str]]:
        result = await source.list_avatar_presets(search=search, limit=_ALL, cursor=None)
        return result.presets, result.notes

    presets, notes = await _gather(state, provider, "presets", fetch)
    page, next_cursor = paginate(presets, limit, cursor)
    return AvatarPresetList(presets=page, total=len(presets), next_cursor=next_cursor, notes=notes)


async def _templates(
    state: Services, kind: str, search: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Motion or sound templates of the provider that has them, filtered and paged."""
    provider = state.registry.with_templates()
    if provider is None or not provider.configured:
        name = provider.name if provider is not None else "a provider with templates"
        key = state.registry.key_env(name) or "its key"
        raise InvalidInput("provider", f"{kind} come from {state.registry.title(name)}: set {key} to use them.")
    items = await provider.templates(kind)
    if search:
        items = [i for i in items if search.lower() in str(i.get("name", "")).lower()]
    page, next_cursor = paginate(items, limit, cursor)
    return page, len(items), next_cursor


def _media_url(item: dict[str, Any]) -> str | None:
    media = item.get("media")
    return str(media["url"]) if isinstance(media, dict) and media.get("url") else None


async def list_motions(
    state: Services, *, search: str | None = None, limit: int = 20, cursor: str | None = None
) -> MotionList:
    page, total, next_cursor = await _templates(state, "motions", search, limit, cursor)
    motions = [
        Motion(motion_id=str(m["id"]), name=str(m.get("name") or m["id"]),
               tags=[str(t) for t in (m.get("tags") or [])], preview_url=_media_url(m))
        for m in page
    ]
    return MotionList(motions=motions, total=total, next_cursor=next_cursor)


async def list_sounds(
    state: Services, *, search: str | None = None, limit: int = 20, cursor: str | None = None
) -> SoundList:
    page, total, next_cursor = await _templates(state, "sounds", search, limit, cursor)
    sounds = [
        Sound(sound_id=str(x["id"]), name=str(x.get("name") or x["id"]), description=x.get("description"),
              preview_url=x.get("sound_url"))
        for x in page
    ]
    return SoundList(sounds=sounds, total=total, next_cursor=next_cursor)
