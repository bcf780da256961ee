"""The catalogue of offline voices and the parsing of voice ids.

Ids are `piper:<model>` for the neural voice and `espeak:<language>[+<variant>]` for
eSpeak NG; `+f3` gives eSpeak a female timbre. The list names a curated set of languages
that eSpeak speaks well, but any eSpeak language or variant the data knows is accepted.
"""

from __future__ import annotations

from functools import cache

from talking_video_mcp.tts.types import LocalVoice

PIPER_PREFIX = "piper:"
ESPEAK_PREFIX = "espeak:"
DEFAULT_VOICE_ID = "piper:en_US-joe-medium"
_FEMALE_VARIANT = "f3"

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
)


def list_voices() -> list[LocalVoice]:
    """Every voice synthesize() offers, the neural Piper voice first."""
    return list(_catalogue())


@cache
def _catalogue() -> tuple[LocalVoice, ...]:
    voices = [
        LocalVoice(DEFAULT_VOICE_ID, "Joe (US English, neural)", "en-US", "male", "piper"),
    ]
    for code, tag, label in _ESPEAK_LANGUAGES:
        voices.append(LocalVoice(f"{ESPEAK_PREFIX}{code}", f"{label} (eSpeak, male)", tag, "male", "espeak"))
        voices.append(
            LocalVoice(f"{ESPEAK_PREFIX}{code}+{_FEMALE_VARIANT}", f"{label} (eSpeak, female)", tag, "female", "espeak")
        )
    return tuple(voices)


def unknown_voice(voice_id: str) -> ValueError:
    return ValueError(
        f"Unknown voice {voice_id!r}: call list_voices() (the list_voices tool with provider 'local') to see "
        f"the offline voices, e.g. {DEFAULT_VOICE_ID!r}, 'espeak:de' or 'espeak:fr+f3'."
    )
