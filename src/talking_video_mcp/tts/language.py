"""Which language a script is in, and which offline voice should speak it.

Detection uses py3langid (a maintained fork of langid.py, BSD): a naive-Bayes model over
byte n-grams that ships inside the wheel (4.6 MB) and never downloads anything. The
writing system (Latin, Cyrillic, Han, kana, Hangul, ...) is read from the characters
themselves first, so a short Cyrillic line is never taken for a Latin-script language.

Offline voices: Piper's neural voice for English, eSpeak NG for the other languages it
reads well. A language no offline voice reads (Japanese with kanji, for one: eSpeak would
spell the characters out) is refused with a sentence that names it and what would work.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from talking_video_mcp.tts.textclean import clean_script
from talking_video_mcp.tts.voices import DEFAULT_VOICE_ID, ESPEAK_PREFIX, PIPER_PREFIX

UNDETERMINED = "und"

# langid code → (English name, eSpeak NG voice or None when no offline voice reads it).
LANGUAGES: dict[str, tuple[str, str | None]] = {
    "af": ("Afrikaans", "af"), "am": ("Amharic", "am"), "ar": ("Arabic", "ar"), "as": ("Assamese", "as"),
    "az": ("Azerbaijani", "az"), "be": ("Belarusian", "be"), "bg": ("Bulgarian", "bg"), "bn": ("Bengali", "bn"),
    "bs": ("Bosnian", "bs"), "ca": ("Catalan", "ca"), "cs": ("Czech", "cs"), "cy": ("Welsh", "cy"),
    "da": ("Danish", "da"), "de": ("German", "de"), "el": ("Greek", "el"), "en": ("English", "en-us"),
    "eo": ("Esperanto", "eo"), "es": ("Spanish", "es"), "et": ("Estonian", "et"), "eu": ("Basque", "eu"),
    "fa": ("Persian", "fa"), "fi": ("Finnish", "fi"), "fr": ("French", "fr"), "ga": ("Irish", "ga"),
    "gd": ("Scottish Gaelic", "gd"), "gl": ("Galician", None), "gu": ("Gujarati", "gu"), "ha": ("Hausa", None),
    "he": ("Hebrew", "he"), "hi": ("Hindi", "hi"), "hr": ("Croatian", "hr"), "ht": ("Haitian Creole", "ht"),
    "hu": ("Hungarian", "hu"), "hy": ("Armenian", "hy"), "id": ("Indonesian", "id"), "ig": ("Igbo", None),
    "is": ("Icelandic", "is"), "it": ("Italian", "it"), "ja": ("Japanese", None), "jv": ("Javanese", None),
    "ka": ("Georgian", "ka"), "kk": ("Kazakh", "kk"), "km": ("Khmer", None), "kn": ("Kannada", "kn"),
    "ko": ("Korean", "ko"), "ky": ("Kyrgyz", "ky"), "la": ("Latin", "la"), "lb": ("Luxembourgish", "lb"),
    "lo": ("Lao", None), "lt": ("Lithuanian", "lt"), "lv": ("Latvian", "lv"), "mk": ("Macedonian", "mk"),
    "ml": ("Malayalam", "ml"), "mn": ("Mongolian", None), "mr": ("Marathi", "mr"), "ms": ("Malay", "ms"),
    "mt": ("Maltese", "mt"), "my": ("Burmese", "my"), "ne": ("Nepali", "ne"), "nl": ("Dutch", "nl"),
    "no": ("Norwegian", "nb"), "or": ("Odia", "or"), "pa": ("Punjabi", "pa"), "pl": ("Polish", "pl"),
    "ps": ("Pashto", None), "pt": ("Portuguese", "pt"), "ro": ("Romanian", "ro"), "ru": ("Russian", "ru"),
    "si": ("Sinhala", "si"), "sk": ("Slovak", "sk"), "sl": ("Slovenian", "sl"), "so": ("Somali", None),
    "sq": ("Albanian", "sq"), "sr": ("Serbian", "sr"), "sv": ("Swedish", "sv"), "sw": ("Swahili", "sw"),
    "ta": ("Tamil", "ta"), "te": ("Telugu", "te"), "th": ("Thai", "th"), "tl": ("Tagalog", None),
    "tr": ("Turkish", "tr"), "ug": ("Uyghur", "ug"), "uk": ("Ukrainian", "uk"), "ur": ("Urdu", "ur"),
    "uz": ("Uzbek", "uz"), "vi": ("Vietnamese", "vi"), "xh": ("Xhosa", None), "yo": ("Yoruba", None),
    "zh": ("Chinese (Mandarin)", "cmn"), "yue": ("Cantonese", "yue"), "zu": ("Zulu", None),
}

# Writing systems (the first word of the Unicode character names) of the non-Latin languages.
_SCRIPTS: dict[str, tuple[str, ...]] = {
    "CYRILLIC": ("ru", "uk", "bg", "mk", "sr", "be", "kk", "ky", "mn"),
    "ARABIC": ("ar", "fa", "ur", "ug", "ps"),
    "GREEK": ("el",), "HEBREW": ("he",), "HAN": ("zh", "yue", "ja"), "KANA": ("ja",), "HANGUL": ("ko",),
    "DEVANAGARI": ("hi", "mr", "ne"), "BENGALI": ("bn", "as"), "TAMIL": ("ta",), "TELUGU": ("te",),
    "KANNADA": ("kn",), "MALAYALAM": ("ml",), "GUJARATI": ("gu",), "GURMUKHI": ("pa",), "ORIYA": ("or",),
    "SINHALA": ("si",), "THAI": ("th",), "GEORGIAN": ("ka",), "ARMENIAN": ("hy",), "ETHIOPIC": ("am",),
    "MYANMAR": ("my",), "KHMER": ("km",), "LAO": ("lo",),
}
_LANGUAGE_SCRIPT = {code: script for script, codes in _SCRIPTS.items() for code in codes if script != "KANA"}
_LATIN_LANGUAGES = tuple(code for code in LANGUAGES if code not in _LANGUAGE_SCRIPT)
_SCRIPT_ALIASES = {"CJK": "HAN", "HIRAGANA": "KANA", "KATAKANA": "KANA", "HALFWIDTH": "KANA"}
# Below this many letters, or this probability, a Latin-script text counts as undetermined.
_MIN_LETTERS = 8
_MIN_PROBABILITY = 0.2


class UnsupportedLanguage(ValueError):
    """No offline voice can speak the script (or the chosen voice would spell it out)."""

    def __init__(self, message: str, language: str, language_name: str) -> None:
        super().__init__(message)
        self.language = language
        self.language_name = language_name


@dataclass(frozen=True)
class LanguageGuess:
    """code: langid code ('de', 'zh', ...) or 'und'; script: e.g. 'LATIN', 'CYRILLIC'."""

    code: str
    name: str
    confidence: float
    script: str


@dataclass(frozen=True)
class VoiceChoice:
    """The voice that will speak, the script's language, and a warning when they differ."""

    voice_id: str
    language: str
    language_name: str
    warning: str | None


_IDENTIFIER: Any = None
_LOCK = threading.Lock()


def _identifier() -> Any:
    global _IDENTIFIER
    with _LOCK:
        if _IDENTIFIER is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _IDENTIFIER


def language_name(code: str) -> str:
    """English name of a langid code ('de' → 'German'); the code itself when unknown."""
    if code == UNDETERMINED:
        return "an undetermined language"
    return LANGUAGES.get(code, (code, None))[0]


def writing_system(text: str) -> str:
    """The script most of the letters are written in: 'LATIN', 'CYRILLIC', 'HAN', 'KANA', ...

    'NONE' when the text has no letters. Any kana makes it 'KANA' (Japanese mixes kana and
    Han characters; Chinese has no kana).
    """
    counts: Counter[str] = Counter()
    for ch in text:
        if not ch.isalpha():
            continue
        word = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
        counts[_SCRIPT_ALIASES.get(word, word)] += 1
    if not counts:
        return "NONE"
    if counts["KANA"]:
        return "KANA"
    return counts.most_common(1)[0][0]


def detect_language(text: str) -> LanguageGuess:
    """The language of `text` (after clean-up); 'und' when too short to tell."""
    text = clean_script(text)
    script = writing_system(text)
    letters = sum(ch.isalpha() for ch in text)
    if script == "NONE":
        return LanguageGuess(UNDETERMINED, language_name(UNDETERMINED), 0.0, script)
    if script == "KANA":
        return LanguageGuess("ja", language_name("ja"), 1.0, script)
    candidates = _SCRIPTS.get(script, _LATIN_LANGUAGES if script == "LATIN" else ())
    if not candidates:
        return LanguageGuess(UNDETERMINED, language_name(UNDETERMINED), 0.0, script)
    if len(candidates) == 1:
        return LanguageGuess(candidates[0], language_name(candidates[0]), 1.0, script)
    ranked = [(code, p) for code, p in _identifier().rank(text) if code in candidates]
    total = sum(p for _, p in ranked) or 1.0
    code, probability = ranked[0][0], ranked[0][1] / total
    if script == "HAN" and code == "ja":
        code = "zh"  # Han characters without any kana: Chinese
    if script == "LATIN" and (letters < _MIN_LETTERS or probability < _MIN_PROBABILITY):
        return LanguageGuess(UNDETERMINED, language_name(UNDETERMINED), probability, script)
    return LanguageGuess(code, language_name(code), round(probability, 3), script)


def voice_language(voice_id: str) -> str:
    """The langid code a voice speaks: 'piper:...' → 'en', 'espeak:pt-br+f3' → 'pt'."""
    if voice_id.startswith(PIPER_PREFIX):
        return "en"
    base = voice_id.removeprefix(ESPEAK_PREFIX).split("+", 1)[0].lower()
    for code, (_, espeak) in LANGUAGES.items():
        if espeak is not None and base == espeak:
            return code
    return {"cmn": "zh", "nb": "no", "nn": "no"}.get(base, base.split("-", 1)[0])


def offline_voice(code: str) -> str | None:
    """The offline voice for a language: Piper for English, eSpeak NG for the others it reads."""
    if code in ("en", UNDETERMINED):
        return DEFAULT_VOICE_ID
    espeak = LANGUAGES.get(code, ("", None))[1]
    return f"{ESPEAK_PREFIX}{espeak}" if espeak else None


def unsupported_message(code: str) -> str:
    name = language_name(code)
    return (
        f"The script is in {name}, which no offline voice speaks (it would be spelled out or mispronounced): "
        f"use a cloud voice that speaks {name} (list_voices of a cloud provider), or record "
        "the speech yourself and pass it as audio."
    )


def with_gender(voice_id: str, gender: str | None) -> str:
    """The voice of `voice_id`'s language with that gender: itself if it fits, else a
    neural one if any, else eSpeak's voice of the same language code ('espeak:de' →
    'espeak:de+f3', 'piper:en_US-joe-medium' → 'espeak:en-us+f3')."""
    from talking_video_mcp.tts.voices import list_voices

    voices = list_voices()
    current = next((v for v in voices if v.voice_id == voice_id), None)
    if gender is None or current is None or current.gender == gender:
        return voice_id
    language, base = voice_language(voice_id), voice_id.split("+", 1)[0]
    fitting = [v for v in voices if v.gender == gender and voice_language(v.voice_id) == language]
    fitting.sort(key=lambda v: (not v.neural, v.voice_id.split("+", 1)[0] != base))
    return fitting[0].voice_id if fitting else voice_id


def choose_voice(text: str, voice_id: str | None = None, *, gender: str | None = None) -> VoiceChoice:
    """The voice to speak `text` with, and a warning when `voice_id` is not of its language.

    Without voice_id: Piper for English (and text too short to tell), else the eSpeak NG
    voice of the detected language; with `gender` (the pictured person's, e.g. a preset's),
    a voice of that gender in the same language when there is one. Raises
    UnsupportedLanguage when no offline voice speaks the language, or when `voice_id` reads
    another writing system and would spell the script out letter by letter.
    """
    guess = detect_language(text)
    code, name = guess.code, guess.name
    fitting = offline_voice(code)
    if fitting is None and guess.script == "LATIN":
        # A Latin-script language no offline voice knows is still read letter-to-sound, not spelled out (and
        # short texts are often mistaken for one): say so, and let the English voice or the chosen one read it.
        chosen = voice_id or with_gender(DEFAULT_VOICE_ID, gender)
        return VoiceChoice(chosen, code, name, (
            f"The script looks {name}, which no offline voice speaks, so {chosen!r} reads it with its own accent; "
            "for a native sound use a cloud voice or pass your own recording as audio."
        ))
    if voice_id is None:
        if fitting is None:
            raise UnsupportedLanguage(unsupported_message(code), code, name)
        return VoiceChoice(with_gender(fitting, gender), code, name, None)
    spoken = voice_language(voice_id)
    if code in (UNDETERMINED, spoken):
        return VoiceChoice(voice_id, code, name, None)
    if fitting is None:
        raise UnsupportedLanguage(unsupported_message(code), code, name)
    voice_script = _LANGUAGE_SCRIPT.get(spoken, "LATIN")
    suggestion = f"use voice_id {fitting!r} or leave voice_id out to have it chosen"
    if guess.script not in (voice_script, "LATIN"):
        raise UnsupportedLanguage(
            f"The voice {voice_id!r} speaks {language_name(spoken)} and would spell this {name} script out "
            f"letter by letter: {suggestion}.", code, name,
        )
    warning = (
        f"The script looks {name} but the voice {voice_id!r} speaks {language_name(spoken)}, so it will sound "
        f"foreign: {suggestion}."
    )
    return VoiceChoice(voice_id, code, name, warning)


def check_readable(text: str, voice_id: str) -> None:
    """Raise UnsupportedLanguage when `voice_id` would spell `text` out instead of reading it.

    Cheap (no language model): a voice reads the writing system of its own language, and
    Latin letters (eSpeak switches to English for those). Piper's English voice reading
    Cyrillic, Arabic or CJK, or eSpeak's Japanese reading kanji, would name each character.
    """
    script = writing_system(text)
    if script in ("NONE", "LATIN"):
        return
    spoken = voice_language(voice_id)
    if spoken == "ja":
        readable = script == "KANA" and not any(unicodedata.name(ch, "").startswith("CJK") for ch in text)
    else:
        readable = _LANGUAGE_SCRIPT.get(spoken, "LATIN") == script
    if readable:
        return
    codes = _SCRIPTS.get(script, ())
    code = "ja" if script == "KANA" else (codes[0] if codes else UNDETERMINED)
    name, fitting = language_name(code), offline_voice(code)
    if fitting is None or code == UNDETERMINED:
        raise UnsupportedLanguage(unsupported_message(code), code, name)
    raise UnsupportedLanguage(
        f"The voice {voice_id!r} speaks {language_name(spoken)} and would spell this {name} script out letter by "
        f"letter: use voice_id {fitting!r} or leave voice_id out to have it chosen.", code, name,
    )
