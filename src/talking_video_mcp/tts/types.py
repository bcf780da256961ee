"""Plain data returned by the offline text-to-speech engines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# (start_s, end_s, phoneme): the phoneme in IPA, timed against the WAV it came with.
PhonemeSpan = tuple[float, float, str]


@dataclass(frozen=True)
class LocalVoice:
    """One offline voice; `voice_id` is what synthesize() takes. `neural` voices are
    trained speech models (Piper); the others are eSpeak NG's formant synthesis, clear but
    robotic."""

    voice_id: str
    name: str
    language: str
    gender: str | None
    engine: str

    @property
    def neural(self) -> bool:
        return self.engine != "espeak"


@dataclass(frozen=True)
class SpeechResult:
    """The WAV that synthesize() wrote, and phoneme timing when the engine reports it.

    voice_id is the voice that spoke; text is what it was given after clean_script()."""

    path: Path
    duration_s: float
    sample_rate: int
    phonemes: list[PhonemeSpan] | None
    voice_id: str = ""
    text: str = ""
