"""Offline text-to-speech: the neural Piper voice and eSpeak NG's many languages.

Heavy engines (onnxruntime, piper) load inside synthesize(), never at import, so the
server starts fast and only a job that speaks pays for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from talking_video_mcp.tts.language import (
    LanguageGuess,
    UnsupportedLanguage,
    VoiceChoice,
    check_readable,
    choose_voice,
    detect_language,
)
from talking_video_mcp.tts.textclean import clean_script, split_pauses
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
    are not read aloud. `<break time="1s"/>` (or `strength=`) and paragraph breaks are
    real pauses: the parts between them are spoken one by one and joined by that much
    silence on top of the pause the voice itself makes there. Raises ValueError for empty
    text (or text that is only markup and emoji), an unknown voice or a speed outside 0.5..2.
    """
    import numpy as np

    from talking_video_mcp.media.audio import write_wav

    if not text or not text.strip():
        raise ValueError("The text to speak is empty: pass at least one word.")
    if not _MIN_SPEED <= speed <= _MAX_SPEED:
        raise ValueError(f"speed must be between {_MIN_SPEED} and {_MAX_SPEED}, got {speed}.")
    raw = split_pauses(text)
    # What each part ends with (clean_script drops a trailing comma): how long a pause the voice makes there.
    raw_ends = [clean_script(part + " x")[:-1].rstrip()[-1:] for part, _ in raw]
    parts = [(clean_script(part), pause) for part, pause in raw]
    if not any(ch.isalnum() for part, _ in parts for ch in part):
        raise ValueError("The text to speak has no words once markup and emoji are removed: pass at least one word.")
    spoken_text = " ".join(part for part, _ in parts)
    check_readable(spoken_text, voice_id)
    pieces: list[np.ndarray] = []
    phonemes: list[PhonemeSpan] | None = []
    rate = 0
    offset = 0
    for index, (part, pause) in enumerate(parts):
        part_samples, rate, part_phonemes, natural = _speak(part, raw_ends[index], voice_id, speed)
        if len(parts) > 1:
            # Parts meet at their speech, not at each engine's own lead-in and tail silence.
            head, tail = _speech_span(part_samples, rate, trim_head=index > 0, trim_tail=index < len(parts) - 1)
            part_samples = part_samples[head:tail]
            if part_phonemes:
                shift = head / rate
                part_phonemes = [(max(0.0, a - shift), max(0.0, b - shift), p) for a, b, p in part_phonemes]
        if phonemes is not None and part_phonemes:
            phonemes.extend((round(a + offset / rate, 4), round(b + offset / rate, 4), p) for a, b, p in part_phonemes)
        else:
            phonemes = None
        pieces.append(part_samples)
        offset += part_samples.size
        if index < len(parts) - 1 or pause > 0:
            # Between parts: the voice's own pause there plus the break (the last part keeps its own tail).
            gap = pause + (natural if index < len(parts) - 1 else 0.0)
            silence = np.zeros(round(max(0.0, gap) * rate), dtype=np.float32)
            pieces.append(silence)
            offset += silence.size
    samples = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    if samples.size == 0:
        raise ValueError(f"The voice {voice_id!r} produced no audio for this text; check its language.")
    out_path = Path(out_path)
    write_wav(out_path, samples, rate)
    return SpeechResult(
        path=out_path, duration_s=samples.size / rate, sample_rate=rate, phonemes=phonemes or None,
        voice_id=voice_id, text=spoken_text,
    )


def _speech_span(samples: Any, rate: int, *, trim_head: bool, trim_tail: bool) -> tuple[int, int]:
    """Where the speech in `samples` starts and ends (-40 dB of its peak, 10 ms kept)."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples) > 0.01 * float(np.max(np.abs(samples), initial=0.0)))
    if loud.size == 0:
        return 0, int(samples.size)
    keep = round(0.01 * rate)
    head = max(0, int(loud[0]) - keep) if trim_head else 0
    tail = min(int(samples.size), int(loud[-1]) + keep) if trim_tail else int(samples.size)
    return head, tail


def _speak(text: str, end: str, voice_id: str, speed: float) -> tuple[Any, int, list[PhonemeSpan] | None, float]:
    """One part: samples, sample rate, phonemes, and the pause the voice would make after
    it in running text (so a break adds exactly its own length)."""
    if voice_id.startswith(PIPER_PREFIX):
        from talking_video_mcp.tts import piper_engine

        if voice_id != f"{PIPER_PREFIX}{piper_engine.VOICE_NAME}":
            raise unknown_voice(voice_id)
        audio = piper_engine.synthesize(text, speed)
        return audio.samples, audio.sample_rate, audio.phonemes, piper_engine.PAUSES.after(end, speed)
    if voice_id.startswith(ESPEAK_PREFIX) and len(voice_id) > len(ESPEAK_PREFIX):
        from talking_video_mcp.tts import espeak

        try:
            spoken = espeak.synthesize(text, voice_id.removeprefix(ESPEAK_PREFIX), speed)
        except ValueError:
            raise unknown_voice(voice_id) from None
        return spoken.samples, spoken.sample_rate, spoken.phonemes or None, espeak.PAUSES.after(end, speed)
    raise unknown_voice(voice_id)
