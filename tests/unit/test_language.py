"""Scripts in many languages: detected offline, spoken by a voice of their language or refused
with a sentence naming the language, never spelled out letter by letter; markup and emoji
are not read aloud."""

from __future__ import annotations

from pathlib import Path

import pytest

from talking_video_mcp.tts import (
    DEFAULT_VOICE_ID,
    UnsupportedLanguage,
    choose_voice,
    clean_script,
    detect_language,
    list_voices,
    no_voice_message,
    synthesize,
)

SCRIPTS = {
    "en": "Hello, this is a short message about our new product and what it can do for you.",
    "de": "Guten Tag, heute möchte ich Ihnen kurz unser neues Produkt vorstellen.",
    "fr": "Bonjour, aujourd'hui je voudrais vous présenter brièvement notre nouveau produit.",
    "es": "Hola, hoy quiero presentarles brevemente nuestro nuevo producto.",
    "it": "Buongiorno, oggi vorrei presentarvi brevemente il nostro nuovo prodotto.",
    "pt": "Olá, hoje quero apresentar brevemente o nosso novo produto a vocês.",
    "ru": "Здравствуйте, сегодня я хочу кратко представить вам наш новый продукт.",
    "ja": "こんにちは、今日は私たちの新しい製品を簡単にご紹介したいと思います。",
    "zh": "你好，今天我想简单地向大家介绍一下我们的新产品。",
    "ko": "안녕하세요, 오늘은 저희 새 제품을 간단히 소개해 드리겠습니다.",
    "ar": "مرحبا، اليوم أود أن أقدم لكم باختصار منتجنا الجديد.",
}
# Seconds of speech per letter (Han characters and Hangul syllables count as one letter):
# spelled-out text (a "letter" name per character) is several times slower than any of these.
PACE = {"LATIN": (0.03, 0.12), "CYRILLIC": (0.03, 0.12), "ARABIC": (0.04, 0.16), "HAN": (0.12, 0.4),
        "HANGUL": (0.08, 0.3)}


@pytest.mark.parametrize("code", ["de", "fr", "es", "it", "pt", "ru"])
def test_european_scripts_get_a_voice_of_their_language(tmp_path: Path, code: str) -> None:
    choice = choose_voice(SCRIPTS[code])
    assert choice.language == code and choice.warning is None
    assert choice.voice_id.startswith("espeak:") and choice.voice_id.removeprefix("espeak:").startswith(code)
    _check_pace(tmp_path, code, choice.voice_id)


def test_english_gets_the_neural_voice() -> None:
    choice = choose_voice(SCRIPTS["en"])
    assert (choice.voice_id, choice.language, choice.warning) == (DEFAULT_VOICE_ID, "en", None)
    # Too short to tell: the default voice, no warning.
    assert choose_voice("Hi!").voice_id == DEFAULT_VOICE_ID


@pytest.mark.parametrize(("code", "voice"), [("zh", "espeak:cmn"), ("ko", "espeak:ko"), ("ar", "espeak:ar")])
def test_asian_and_arabic_scripts_are_spoken_by_a_fitting_voice(tmp_path: Path, code: str, voice: str) -> None:
    choice = choose_voice(SCRIPTS[code])
    assert (choice.voice_id, choice.language) == (voice, code)
    _check_pace(tmp_path, code, voice)


def test_japanese_is_refused_naming_the_language() -> None:
    with pytest.raises(UnsupportedLanguage, match="Japanese") as info:
        choose_voice(SCRIPTS["ja"])
    assert info.value.language == "ja"
    assert "cloud voice" in str(info.value) and "audio" in str(info.value)
    # Also with a voice chosen: the English voice would spell it out.
    with pytest.raises(UnsupportedLanguage, match="Japanese"):
        choose_voice(SCRIPTS["ja"], DEFAULT_VOICE_ID)


def test_mismatched_voice_warns_or_refuses() -> None:
    german = choose_voice(SCRIPTS["de"], DEFAULT_VOICE_ID)
    assert german.voice_id == DEFAULT_VOICE_ID and german.warning is not None
    assert "German" in german.warning and "espeak:de" in german.warning
    with pytest.raises(UnsupportedLanguage, match=r"Russian script out letter by letter.*espeak:ru"):
        choose_voice(SCRIPTS["ru"], DEFAULT_VOICE_ID)
    assert choose_voice(SCRIPTS["fr"], "espeak:fr+f3").warning is None
    assert choose_voice(SCRIPTS["pt"], "espeak:pt-br").warning is None


def _check_pace(tmp_path: Path, code: str, voice: str) -> None:
    guess = detect_language(SCRIPTS[code])
    result = synthesize(SCRIPTS[code], voice, tmp_path / f"{code}.wav")
    letters = sum(ch.isalpha() for ch in SCRIPTS[code])
    low, high = PACE[guess.script]
    pace = result.duration_s / letters
    assert low <= pace <= high, f"{code}: {pace:.3f} s per letter with {voice}"
    # eSpeak marks a switch to another language's rules (reading letters as English) as "(en)".
    assert not [p for _, _, p in result.phonemes or [] if p.startswith("(")], result.phonemes


def test_markup_and_emoji_are_not_read(tmp_path: Path) -> None:
    assert clean_script('<speak>Hello <break time="500ms"/> world 🎉🎉</speak>') == "Hello, world"
    assert clean_script("<emphasis level='strong'>Great</emphasis> news 👍🏽 &amp; more 🇩🇪!") == "Great news & more!"
    assert clean_script("**Bold** and `code` stay words; 3 < 4 > 2") == "Bold and code stay words; 3 < 4 > 2"
    plain = synthesize("Hello world.", "espeak:en-us", tmp_path / "plain.wav")
    marked = synthesize("<speak>Hello 🎉 <prosody rate='slow'>world</prosody>.</speak> 🥳", "espeak:en-us",
                        tmp_path / "marked.wav")
    assert abs(marked.duration_s - plain.duration_s) < 0.25
    with pytest.raises(ValueError, match="no words"):
        synthesize("🎉 <break/> 👍", "espeak:en-us", tmp_path / "none.wav")


def test_list_voices_by_language() -> None:
    assert {v.voice_id for v in list_voices("de")} == {"espeak:de", "espeak:de+f3"}
    assert {v.voice_id for v in list_voices("German")} == {"espeak:de", "espeak:de+f3"}
    assert {"espeak:pt", "espeak:pt-br"} <= {v.voice_id for v in list_voices("pt")}
    assert [v.voice_id for v in list_voices("pt-BR")] == ["espeak:pt-br", "espeak:pt-br+f3"]
    assert DEFAULT_VOICE_ID in {v.voice_id for v in list_voices("en")}
    assert {v.voice_id for v in list_voices("zh")} == {"espeak:cmn", "espeak:cmn+f3"}
    assert list_voices("ja") == [] and list_voices("Japanese") == []
    assert "cloud voice" in no_voice_message("ja")
    assert len(list_voices()) == len(list_voices(None)) == len(list_voices(" "))


def test_synthesize_refuses_to_spell_a_script_out(tmp_path: Path) -> None:
    """Even when a caller skips choose_voice, no voice is made to read a script it cannot."""
    with pytest.raises(UnsupportedLanguage, match=r"Russian script out letter by letter.*espeak:ru"):
        synthesize(SCRIPTS["ru"], DEFAULT_VOICE_ID, tmp_path / "ru.wav")
    with pytest.raises(UnsupportedLanguage, match="Arabic"):
        synthesize(SCRIPTS["ar"], "espeak:de", tmp_path / "ar.wav")
    with pytest.raises(UnsupportedLanguage, match="Japanese"):
        synthesize(SCRIPTS["ja"], "espeak:ja", tmp_path / "ja.wav")  # eSpeak would name each kanji
    with pytest.raises(UnsupportedLanguage, match="Japanese"):
        synthesize(SCRIPTS["ja"], DEFAULT_VOICE_ID, tmp_path / "ja.wav")
    assert not list(tmp_path.iterdir())
    # Latin text through a voice of another language is foreign-sounding, not spelled out: allowed.
    assert synthesize("Hello, my friend.", "espeak:ru", tmp_path / "en.wav").duration_s > 0.5


def test_heavy_modules_stay_off_the_import_path() -> None:
    """Importing tts and render (as the server does) loads no model, decoder or language detector."""
    import subprocess
    import sys

    code = ("import sys, talking_video_mcp.tts, talking_video_mcp.render; "
            "print(sorted(m for m in ('cv2', 'av', 'onnxruntime', 'onnx', 'py3langid', 'piper') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_speech_result_names_the_voice(tmp_path: Path) -> None:
    result = synthesize("<speak>Guten Tag 🎉</speak>", "espeak:de", tmp_path / "de.wav")
    assert (result.voice_id, result.text) == ("espeak:de", "Guten Tag")
