"""list_voices(language=...): a language as people write it: a code ("fr", "pt-BR"), its English name ("French")
or its own name ("Français", "Deutsch", "日本語"), matched without regard to case or accents."""

from __future__ import annotations

import unicodedata

from talking_video_mcp.tts.language import LANGUAGES

# Each language's name in itself, for the languages voices here speak (the English names come from LANGUAGES).
NATIVE_NAMES: dict[str, str] = {
    "Afrikaans": "af", "العربية": "ar", "Български": "bg", "বাংলা": "bn", "Català": "ca", "Čeština": "cs",
    "Cymraeg": "cy", "Dansk": "da", "Deutsch": "de", "Ελληνικά": "el", "Español": "es", "Castellano": "es",
    "Eesti": "et", "Euskara": "eu", "فارسی": "fa", "Suomi": "fi", "Français": "fr", "Gaeilge": "ga",
    "Galego": "gl", "עברית": "he", "हिन्दी": "hi", "Hrvatski": "hr", "Magyar": "hu", "Հայերեն": "hy",
    "Bahasa Indonesia": "id", "Íslenska": "is", "Italiano": "it", "日本語": "ja", "ქართული": "ka",
    "한국어": "ko", "Lietuvių": "lt", "Latviešu": "lv", "Македонски": "mk", "Bahasa Melayu": "ms",
    "Malti": "mt", "Nederlands": "nl", "Norsk": "no", "Norsk bokmål": "no", "Polski": "pl",
    "Português": "pt", "Română": "ro", "Русский": "ru", "Slovenčina": "sk", "Slovenščina": "sl",
    "Shqip": "sq", "Српски": "sr", "Svenska": "sv", "Kiswahili": "sw", "தமிழ்": "ta", "ไทย": "th",
    "Türkçe": "tr", "Українська": "uk", "اردو": "ur", "Tiếng Việt": "vi", "中文": "zh", "普通话": "zh",
    "汉语": "zh", "Mandarin": "zh", "粵語": "yue",
}
# Codes that name the same language in different tables (eSpeak's, BCP-47's, langid's).
_SAME = {"cmn": "zh", "nb": "no", "nn": "no"}


def _plain(text: str) -> str:
    """Case- and accent-free: "Français" and "francais" are one name."""
    folded = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _base(tag: str) -> str:
    base = tag.lower().replace("_", "-").split("-", 1)[0]
    return _SAME.get(base, base)


def _names() -> dict[str, str]:
    names = {_plain(name): code for code, (name, _) in LANGUAGES.items()}
    names.update({_plain(name.split(" (", 1)[0]): code for code, (name, _) in LANGUAGES.items()})
    names.update({_plain(name): code for name, code in NATIVE_NAMES.items()})
    return names


def wanted(language: str) -> tuple[str | None, str]:
    """(the exact tag asked for, when a regional code such as pt-BR was given; the language's base code)."""
    plain = _plain(language)
    code = _names().get(plain)
    if code is not None:
        return None, code
    tag = plain.replace("_", "-")
    return (tag if "-" in tag else None), _base(tag)


def speaks(voice_language: str | None, language: str) -> bool:
    """Whether a voice listed with `voice_language` (a BCP-47 tag; cloud voices often list none) speaks it."""
    if not voice_language:
        return False
    tag, base = wanted(language)
    if tag is not None:
        return voice_language.lower().replace("_", "-").startswith(tag)
    return _base(voice_language) == base
