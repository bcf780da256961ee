"""Offline text-to-speech: the neural Piper voice and eSpeak NG's many languages.

Heavy engines (onnxruntime, piper) load inside synthesize(), never at import, so the
server starts fast and only a job that speaks pays for them.
"""

from __future__ import annotations

from pathlib import Path

from talking_video_mcp.tts.language import (
    LanguageGuess,
    UnsupportedLanguage,
    VoiceChoice,
    check_readable,
    choose_voice,
    detect_language,
)
from talking_video_mcp.tts.textclean import clean_script
from talking_video_mcp.tts.types import LocalVoice, PhonemeSpan, SpeechResult
from talking_video_mcp.tts.voices import (
    DEFAULT_VOICE_ID,
    ESPEAK_PREFIX,
    PIPER_PREFIX,
    list_voices,
    no_voice_message,
    unknown_voice,
)

__all__ = [
    "DEFAULT_VOICE_ID", "LanguageGuess", "LocalVoice", "PhonemeSpan", "SpeechResult", "UnsupportedLanguage",
    "VoiceChoice", "check_readable", "choose_voice", "clean_script", "detect_language", "list_voices",
    "no_voice_message", "synthesize",
]

_MIN_SPEED, _MAX_SPEED = 0.5, 2.0


def synthesize(text: str, voice_id: str, out_path: Path, *, speed: float = 1.0) -> SpeechResult:
    """Speak `text` with `voice_id` into a 16-bit WAV at `out_path`.

    The text is cleaned first (clean_script): SSML/HTML tags, Markdown emphasis and emoji
    are not read aloud. Raises ValueError for empty text (or text that is only markup and
    emoji), an unknown voice or a speed outside 0.5..2.
    """
    from talking_video_mcp.media.audio import write_wav

    if not text or not text.strip():
        raise ValueError("The text to speak is empty: pass at least one word.")
    if not _MIN_SPEED <= speed <= _MAX_SPEED:
        raise ValueError(f"speed must be between {_MIN_SPEED} and {_MAX_SPEED}, got {speed}.")
    text = clean_script(text)
    if not any(ch.isalnum() for ch in text):
        raise ValueError("The text to speak has no words once markup and emoji are removed: pass at least one word.")
    check_readable(text, voice_id)
    if voice_id.startswith(PIPER_PREFIX):
        from talking_video_mcp.tts import piper_engine

        if voice_id != f"{PIPER_PREFIX}{piper_engine.VOICE_NAME}":
            raise unknown_voice(voice_id)
        audio = piper_engine.synthesize(text, speed)
        samples, rate, phonemes = audio.samples, audio.sample_rate, audio.phonemes
    elif voice_id.startswith(ESPEAK_PREFIX) and len(voice_id) > len(ESPEAK_PREFIX):
        from talking_video_mcp.tts import espeak

        try:
            spoken = espeak.synthesize(text, voice_id.removeprefix(ESPEAK_PREFIX), speed)
        except ValueError:
            raise unknown_voice(voice_id) from None
        samples, rate, phonemes = spoken.samples, spoken.sample_rate, spoken.phonemes or None
    else:
        raise unknown_voice(voice_id)
    if samples.size == 0:
        raise ValueError(f"The voice {voice_id!r} produced no audio for this text; check its language.")
    out_path = Path(out_path)
    write_wav(out_path, samples, rate)
    return SpeechResult(
        path=out_path, duration_s=samples.size / rate, sample_rate=rate, phonemes=phonemes, voice_id=voice_id,
        text=text,
    )
