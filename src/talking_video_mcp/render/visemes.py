"""Phonemes (IPA, as eSpeak and Piper write them) → mouth shapes.

A viseme here is two numbers: how far the jaw may open (0 closed .. 1 wide) and how wide
the lips are (1 neutral, < 1 rounded). Loudness alone opens the mouth on an "m" as much as
on an "a"; the viseme closes it for the lip sounds and rounds it for "o" and "u".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Viseme = tuple[float, float]
NEUTRAL: Viseme = (0.55, 1.0)

_CLASSES: tuple[tuple[str, Viseme], ...] = (
    ("pbm", (0.0, 1.0)),
    ("fv", (0.15, 1.0)),
    ("w", (0.2, 0.72)),
    ("ʃʒ", (0.3, 0.85)),
    ("szθðtdnlɹrɾɬ", (0.3, 1.0)),
    ("jç", (0.35, 1.05)),
    ("kgɡŋxhɣχʁq", (0.45, 1.0)),
    ("aɑæɐɒä", (1.0, 1.0)),
    ("eɛəɜʌɚɝøœ", (0.72, 1.05)),
    ("iɪyʏɨ", (0.45, 1.1)),
    ("oɔɤ", (0.72, 0.8)),
    ("uʊɯ", (0.45, 0.72)),
)
_LOOKUP: dict[str, Viseme] = {ch: shape for letters, shape in _CLASSES for ch in letters}
_IGNORED = "ˈˌːˑ̃ʰʲʷ̩̯.‖|-_ "


def viseme(phoneme: str) -> Viseme:
    """The mouth shape of one phoneme; the first letter decides (diphthongs start wide)."""
    for ch in phoneme:
        if ch in _IGNORED:
            continue
        return _LOOKUP.get(ch.lower(), NEUTRAL)
    return (0.0, 1.0)


def viseme_tracks(
    phonemes: Sequence[tuple[float, float, str]], n_frames: int, fps: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Per frame: openness, width and whether any phoneme covers the frame.

    Each frame averages the phonemes overlapping its time slot, weighted by overlap.
    """
    weight = np.zeros(n_frames, dtype=np.float64)
    open_sum = np.zeros(n_frames, dtype=np.float64)
    width_sum = np.zeros(n_frames, dtype=np.float64)
    for start, end, name in phonemes:
        if not end > start:
            continue
        shape = viseme(name)
        first = max(0, math.floor(start * fps))
        last = min(n_frames - 1, math.ceil(end * fps) - 1)
        for i in range(first, last + 1):
            overlap = min(end, (i + 1) / fps) - max(start, i / fps)
            if overlap > 0:
                weight[i] += overlap
                open_sum[i] += overlap * shape[0]
                width_sum[i] += overlap * shape[1]
    covered = weight > 1e-6
    safe = np.where(covered, weight, 1.0)
    openness = np.where(covered, open_sum / safe, 0.0).astype(np.float32)
    width = np.where(covered, width_sum / safe, 1.0).astype(np.float32)
    return openness, width, covered
