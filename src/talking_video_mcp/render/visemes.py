"""Phonemes (IPA, as eSpeak and Piper write them) → mouth shapes.

A viseme here is two numbers: how far the jaw may open (0 closed .. 1 wide) and how wide
the lips are (1 neutral, < 1 rounded, > 1 spread). Loudness alone opens the mouth on an
"m" as much as on an "a"; the viseme shuts it for the lip sounds, rounds it for "o" and
"u" and spreads it for "i" and "e". coarticulated_tracks() blends neighbouring shapes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Viseme = tuple[float, float]
NEUTRAL: Viseme = (0.55, 1.0)

_CLASSES: tuple[tuple[str, Viseme], ...] = (
    ("pbmɓɸβ", (0.0, 0.97)),
    ("fvʋ", (0.12, 1.0)),
    ("wɥ", (0.2, 0.8)),
    ("ʃʒɕʑ", (0.3, 0.86)),
    ("szθðtdnlɹrɾɬʈɖɳɭʂʐɲ", (0.3, 1.03)),
    ("jçʝ", (0.32, 1.08)),
    ("kgɡŋxhɣχʁqɦħʔʕ", (0.45, 1.0)),
    ("aɑæɐɒä", (1.0, 1.0)),
    ("ɛəɜʌɚɝœ", (0.72, 1.05)),
    ("e", (0.55, 1.14)),
    ("iɪɨ", (0.4, 1.16)),
    ("yʏø", (0.4, 0.82)),
    ("oɔɤ", (0.72, 0.84)),
    ("uʊɯ", (0.45, 0.8)),
)
BILABIALS = frozenset("pbmɓɸβ")
# Coarticulation: targets are blended with Gaussians of these widths (seconds); lip
# rounding starts earlier and lasts longer than the jaw's opening.
_OPEN_SIGMA_S = 0.022
_WIDTH_SIGMA_S = 0.04
_CLOSE_RAMP_S = 0.025
_GRID_HZ = 200
_LOOKUP: dict[str, Viseme] = {ch: shape for letters, shape in _CLASSES for ch in letters}
_IGNORED = "ˈˌːˑ̃ʰʲʷ̩̯.‖|-_ "


def _first_letter(phoneme: str) -> str:
    for ch in phoneme:
        if ch not in _IGNORED:
            return ch.lower()
    return ""


def is_bilabial(phoneme: str) -> bool:
    """Whether the lips close for this phoneme (m, b, p and their kin)."""
    return _first_letter(phoneme) in BILABIALS


def viseme(phoneme: str) -> Viseme:
    """The mouth shape of one phoneme; the first letter decides (diphthongs start wide)."""
    for ch in phoneme:
        if ch in _IGNORED:
            continue
        return _LOOKUP.get(ch.lower(), NEUTRAL)
    return (0.0, 1.0)


def _gaussian(values: npt.NDArray[np.float64], sigma_s: float) -> npt.NDArray[np.float64]:
    sigma = sigma_s * _GRID_HZ
    radius = max(1, math.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()
    return np.convolve(np.pad(values, radius, mode="edge"), kernel, mode="valid")


def coarticulated_tracks(
    phonemes: Sequence[tuple[float, float, str]], n_frames: int, fps: int, *, loudness_share: float = 0.0,
    loudness: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Per frame: viseme openness 0..1, lip width and whether speech covers the frame.

    With `loudness` (0..1 per frame), `loudness_share` of the opening follows it and the
    rest the visemes; the m/b/p closure applies to both.

    Each phoneme holds its viseme for its span on a 200 Hz grid; silence is closed. The
    grid is blended with a short Gaussian (coarticulation: each shape leans towards its
    neighbours, no per-frame jumps); then the lips are pressed shut through every m/b/p
    (with a 25 ms ramp either side), so a bilabial always closes however short it is.
    Frames sample the grid at their midpoint.
    """
    duration = n_frames / fps
    size = max(1, math.ceil(duration * _GRID_HZ) + 1)
    open_t = np.zeros(size, dtype=np.float64)
    width_t = np.ones(size, dtype=np.float64)
    speech = np.zeros(size, dtype=bool)
    closure = np.zeros(size, dtype=np.float64)
    times = np.arange(size, dtype=np.float64) / _GRID_HZ
    for start, end, name in phonemes:
        if not end > start:
            continue
        a, b = max(0, round(start * _GRID_HZ)), min(size, max(round(end * _GRID_HZ), round(start * _GRID_HZ) + 1))
        if a >= size:
            continue
        shape = viseme(name)
        open_t[a:b], width_t[a:b], speech[a:b] = shape[0], shape[1], True
        if is_bilabial(name):
            # Fully shut over the middle of the phoneme, easing in and out around it.
            mid_a, mid_b = start + 0.2 * (end - start), end - 0.2 * (end - start)
            dist = np.maximum(np.maximum(mid_a - times, times - mid_b), 0.0)
            closure = np.maximum(closure, np.clip(1.0 - dist / _CLOSE_RAMP_S, 0.0, 1.0))
    # Rounding carries over silence-free stretches only; silence relaxes to neutral width.
    width_t[~speech] = 1.0
    shaped = _gaussian(open_t, _OPEN_SIGMA_S)
    width = _gaussian(width_t, _WIDTH_SIGMA_S)
    frame_times = (np.arange(n_frames, dtype=np.float64) + 0.5) / fps
    idx = np.clip(np.round(frame_times * _GRID_HZ).astype(int), 0, size - 1)
    covered = _gaussian(speech.astype(np.float64), 0.01)[idx] > 0.05
    opened = shaped[idx]
    if loudness is not None and loudness_share > 0:
        opened = (1.0 - loudness_share) * opened + loudness_share * np.asarray(loudness, dtype=np.float64)[:n_frames]
    opened = opened * (1.0 - closure[idx])
    return opened.astype(np.float32), width[idx].astype(np.float32), covered
