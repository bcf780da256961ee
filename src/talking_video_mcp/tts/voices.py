"""The catalogue of offline voices and the parsing of voice ids.

Ids are `piper:<model>` for the neural voice and `espeak:<language>[+<variant>]` for
eSpeak NG; `+f3` gives eSpeak a female timbre. The list names a curated set of languages
that eSpeak speaks well, but any eSpeak language or variant the data knows is accepted.
"""

from __future__ import annotations

import re
from functools import cache

from talking_video_mcp.tts.types import LocalVoice

PIPER_PREFIX = "piper:"
ESPEAK_PREFIX = "espeak:"
DEFAULT_VOICE_ID = "piper:en_US-joe-medium"
_FEMALE_VARIANT = "f3"
_NOT_LANGUAGE_WORDS = {"espeak", "male", "female", "neural", "not", "joe"}

# eSpeak language code → (BCP-47 tag, display name).
_ESPEAK_LANGUAGES: tuple[tuple[str, str, str], ...] = (
    ("en-us", "en-US", "English (US)"),
    ("en", "en-GB", "English (UK)"),
    ("de", "de-DE", "German"),
    ("fr", "fr-FR", "French"),
    ("es", "es-ES", "Spanish"),
    ("es-419", "es-419", "Spanish (Latin America)"),
    ("it", "it-IT", "Italian"),
    ("pt", "pt-PT", "Portuguese"),
    ("pt-br", "pt-BR", "Portuguese (Brazil)"),
    ("nl", "nl-NL", "Dutch"),
    ("pl", "pl-PL", "Polish"),
    ("sv", "sv-SE", "Swedish"),
    ("da", "da-DK", "Danish"),
    ("nb", "nb-NO", "Norwegian Bokmål"),
    ("fi", "fi-FI", "Finnish"),
    ("cs", "cs-CZ", "Czech"),
    ("ro", "ro-RO", "Romanian"),
    ("hu", "hu-HU", "Hungarian"),
    ("el", "el-GR", "Greek"),
    ("tr", "tr-TR", "Turkish"),
    ("ru", "ru-RU", "Russian"),
    ("uk", "uk-UA", "Ukrainian"),
    ("hi", "hi-IN", "Hindi"),
    ("id", "id-ID", "Indonesian"),
    ("vi", "vi-VN", "Vietnamese"),
    ("ar", "ar", "Arabic"),
    ("cmn", "zh-CN", "Chinese (Mandarin)"),
    ("ko", "ko-KR", "Korean"),
    ("he", "he-IL", "Hebrew"),
    ("fa", "fa-IR", "Persian"),
    ("bg", "bg-BG", "Bulgarian"),
    ("hr", "hr-HR", "Croatian"),
    ("sr", "sr-RS", "Serbian"),
    ("sk", "sk-SK", "Slovak"),
    ("sl", "sl-SI", "Slovenian"),
    ("ca", "ca-ES", "Catalan"),
    ("lt", "lt-LT", "Lithuanian"),
    ("lv", "lv-LV", "Latvian"),
    ("et", "et-EE", "Estonian"),
    ("bn", "bn-IN", "Bengali"),
    ("ta", "ta-IN", "Tamil"),
    ("ur", "ur-PK", "Urdu"),
    ("ms", "ms-MY", "Malay"),
    ("sw", "sw-KE", "Swahili"),
)


def list_voices(language: str | None = None) -> list[LocalVoice]:
    """Every voice synthesize() offers, the neural Piper voice first.

    `language` filters by a language code ("de", "pt-BR", "zh") or an English name
    ("German", "portuguese"), case-insensitively; an empty list means no offline voice
    speaks it (no_voice_message says what to do then).
    """
    voices = list(_catalogue())
    if language is None or not language.strip():
        return voices
    return [v for v in voices if _speaks(v, language.strip().lower())]


def _speaks(voice: LocalVoice, query: str) -> bool:
    """A code matches the voice's tag or its base ("pt" matches "pt-BR"); a name matches a word."""
    tag = voice.language.lower()
    query = query.replace("_", "-")
    if query in (tag, tag.split("-", 1)[0]) or (query == "zh" and tag.startswith("zh")):
        return True
    if len(query) < 3 or query in _NOT_LANGUAGE_WORDS:
        return False
    return re.search(rf"\b{re.escape(query)}", voice.name.lower()) is not None


def no_voice_message(language: str) -> str:
    """The note for a language no offline voice speaks: what would work instead."""
    return (
        f"No offline voice speaks {language!r}. Use a cloud voice (list_voices of a cloud provider), or "
        "record the speech yourself and pass it as audio."
    )


@cache
def _catalogue() -> tuple[LocalVoice, ...]:
    voices = [
        LocalVoice(DEFAULT_VOICE_ID, "Joe (US English, neural, male)", "en-US", "male", "piper"),
    ]
    for code, tag, label in _ESPEAK_LANGUAGES:
        for suffix, gender in (("", "male"), (f"+{_FEMALE_VARIANT}", "female")):
            voices.append(LocalVoice(
                f"{ESPEAK_PREFIX}{code}{suffix}", f"{label} (eSpeak, not neural, {gender})", tag, gender, "espeak",
            ))
    return tuple(voices)


def unknown_voice(voice_id: str) -> ValueError:
    return ValueError(
        f"Unknown voice {voice_id!r}: call list_voices() (the list_voices tool; offline voices start with piper: "
        f"or espeak:) to see the offline voices, e.g. {DEFAULT_VOICE_ID!r}, 'espeak:de' or 'espeak:fr+f3'."
    )
