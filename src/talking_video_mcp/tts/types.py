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


@dataclass(frozen=True)
class NaturalPauses:
    """The silence a voice makes inside running speech (its speech, not its lead-in and tail) after a sentence,
    a comma or a plain word; calibrated per engine by speaking a 1 s break against the same text without it
    (tests/unit/test_tts.py::test_break_adds_its_length), so a break adds exactly its own length on top."""

    sentence: float
    comma: float
    word: float

    def after(self, end: str, speed: float = 1.0) -> float:
        """After a part ending in `end` (its last character)."""
        if end in ".!?;:。！？":
            return self.sentence / speed
        if end in ",，、":
            return self.comma / speed
        return self.word / speed
