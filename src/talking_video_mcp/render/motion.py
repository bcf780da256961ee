"""Per-frame animation parameters, all computed before the first frame is drawn.

Mouth opening follows the speech loudness (and the phonemes' shapes when known); blinks
come every 2-6 s, last about 200 ms and always end before the clip does; now and then the
eyes glance aside and back and the brows lift on an emphasised word; the head sways by a
degree or two on slow random sinusoids and nods on stressed syllables (smooth pulses, so
it never jumps). Everything is seeded, so a render is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from talking_video_mcp.render.visemes import coarticulated_tracks

Track = npt.NDArray[np.float32]

# With phonemes, this share of the mouth's opening follows loudness, the rest the visemes.
_LOUDNESS_SHARE = 0.3
# Blink profile (seconds): lids close, stay shut briefly, then reopen more slowly.
_BLINK_CLOSE_S, _BLINK_HOLD_S, _BLINK_OPEN_S = 0.06, 0.04, 0.1
# How far a nod dips the head, in face widths (about 1% of the face: a few pixels at 512).
_NOD_DEPTH = 0.01


@dataclass(frozen=True)
class Tracks:
    """One value per frame. mouth_open, blink, brow: 0..1; width: lip-width factor; gaze:
    -1..1 (sideways glance); head: dx, dy (fractions of face width), roll (degrees)."""

    mouth_open: Track
    mouth_width: Track
    blink: Track
    head_dx: Track
    head_dy: Track
    head_roll: Track
    gaze: Track
    brow: Track

    def __len__(self) -> int:
        return int(self.mouth_open.size)


def _smooth(values: Track, kernel: Sequence[float]) -> Track:
    k = np.asarray(kernel, dtype=np.float32)
    k /= k.sum()
    pad = len(k) // 2
    padded = np.pad(values, pad, mode="edge")
    return np.convolve(padded, k, mode="valid").astype(np.float32)


def _smoothstep(x: Track) -> Track:
    return (x * x * (3.0 - 2.0 * x)).astype(np.float32)


def mouth_track(
    env: Track, fps: int, phonemes: Sequence[tuple[float, float, str]] | None,
) -> tuple[Track, Track]:
    """Mouth opening 0..1 and lip width per frame, from loudness and optional phonemes.

    With phonemes the shape comes from the visemes (coarticulated, lips shut on m/b/p,
    rounded on o/u, spread on i/e) and loudness only scales how far the jaw drops.
    """
    x = np.clip((env - 0.2) / 0.8, 0.0, 1.0)
    # Smoothstep keeps breaths shut; 0.8 leaves the widest opening for the loudest peaks.
    openness = (0.8 * _smoothstep(x)).astype(np.float32)
    width = np.ones_like(openness)
    if phonemes:
        loud = _smooth(env, (1, 2, 1))
        amplitude = 0.25 + 0.75 * _smoothstep(np.clip((loud - 0.1) / 0.6, 0.0, 1.0))
        level = _smoothstep(np.clip((loud - 0.3) / 0.7, 0.0, 1.0))
        vis_open, width, covered = coarticulated_tracks(
            phonemes, openness.size, fps, loudness=level, loudness_share=_LOUDNESS_SHARE,
        )
        openness = np.where(covered | (openness > 0), amplitude * vis_open, 0.0).astype(np.float32)
    else:
        openness = _smooth(openness, (1, 3, 1))
    openness[env < 0.05] = 0.0  # real silence: lips together
    return openness.astype(np.float32), width.astype(np.float32)


def blink_track(n_frames: int, fps: int, rng: np.random.Generator) -> Track:
    """Lid closure 0..1 per frame: blinks every 2-6 s, now and then a double blink."""
    duration = n_frames / fps
    starts: list[float] = []
    total = _BLINK_CLOSE_S + _BLINK_HOLD_S + _BLINK_OPEN_S
    # A blink must be over (eyes open again) a frame before the clip ends.
    latest = duration - total - 1.5 / fps
    t = float(rng.uniform(0.6, 2.2))
    while t <= latest:
        starts.append(t)
        if rng.random() < 0.12 and t + 0.32 <= latest:
            starts.append(t + 0.32)
        t += float(rng.uniform(2.0, 6.0))
    times = (np.arange(n_frames, dtype=np.float64) + 0.5) / fps
    closure = np.zeros(n_frames, dtype=np.float64)
    for start in starts:
        rel = times - start
        active = (rel > -0.5 / fps) & (rel < total + 0.5 / fps)
        r = rel[active]
        closing = np.clip((r + 0.5 / fps) / (_BLINK_CLOSE_S + 0.5 / fps), 0.0, 1.0)
        opening = np.clip((total - r) / _BLINK_OPEN_S, 0.0, 1.0)
        closure[active] = np.maximum(closure[active], np.minimum(closing, opening))
    closure[-1:] = 0.0
    return closure.astype(np.float32)


def _pulse(n_frames: int, fps: int, times: Sequence[float], rise_s: float, hold_s: float, fall_s: float) -> Track:
    """0..1 per frame: a smooth rise, a hold and a smooth fall at each of `times`."""
    t = (np.arange(n_frames, dtype=np.float64) + 0.5) / fps
    out = np.zeros(n_frames, dtype=np.float64)
    for start in times:
        rel = t - start
        up = np.clip(rel / rise_s, 0.0, 1.0)
        down = np.clip((rise_s + hold_s + fall_s - rel) / fall_s, 0.0, 1.0)
        out = np.maximum(out, _smoothstep(np.minimum(up, down).astype(np.float32)))
    return out.astype(np.float32)


def gaze_track(n_frames: int, fps: int, rng: np.random.Generator) -> Track:
    """Glances: every 3-8 s the eyes look a little aside for 0.5-1.5 s and come back."""
    duration = n_frames / fps
    out = np.zeros(n_frames, dtype=np.float32)
    t = float(rng.uniform(1.5, 4.0))
    while t < duration - 0.8:
        hold = float(rng.uniform(0.5, 1.5))
        side = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.4, 1.0))
        out += side * _pulse(n_frames, fps, [t], 0.06, hold, 0.08)
        t += hold + float(rng.uniform(3.0, 8.0))
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def stress_times(phonemes: Sequence[tuple[float, float, str]] | None, mouth_open: Track, fps: int) -> list[float]:
    """When the stressed syllables start: primary-stress marks in the phonemes, else the
    loudest mouth openings (at least 0.4 s apart)."""
    if phonemes:
        marked = [start for start, _, name in phonemes if "ˈ" in name]
        if marked:
            return marked
    peaks: list[float] = []
    for i in range(1, mouth_open.size - 1):
        if mouth_open[i] >= 0.45 and mouth_open[i] >= mouth_open[i - 1] and mouth_open[i] > mouth_open[i + 1]:
            at = i / fps
            if not peaks or at - peaks[-1] >= 0.4:
                peaks.append(at)
    return peaks


def brow_track(n_frames: int, fps: int, stresses: Sequence[float], rng: np.random.Generator) -> Track:
    """The brows lift on about one stressed syllable in five, at most once every 2.5 s."""
    chosen: list[float] = []
    for at in stresses:
        if (not chosen or at - chosen[-1] >= 2.5) and rng.random() < 0.2:
            chosen.append(at - 0.05)
    return _pulse(n_frames, fps, chosen, 0.15, 0.25, 0.35)


def _sway(n_frames: int, fps: int, rng: np.random.Generator, amplitude: float) -> Track:
    """Smooth random motion: three slow sinusoids with random frequency and phase."""
    t = np.arange(n_frames, dtype=np.float64) / fps
    out = np.zeros(n_frames, dtype=np.float64)
    for freq, share in ((0.11, 0.5), (0.23, 0.3), (0.47, 0.2)):
        f = freq * float(rng.uniform(0.8, 1.25))
        out += share * np.sin(2 * math.pi * f * t + float(rng.uniform(0, 2 * math.pi)))
    return (amplitude * out).astype(np.float32)


def compute_tracks(
    env: Track, fps: int, phonemes: Sequence[tuple[float, float, str]] | None, seed: int,
) -> Tracks:
    """All animation tracks for len(env) frames."""
    n = int(env.size)
    rng = np.random.default_rng(seed)
    mouth_open, mouth_width = mouth_track(env, fps, phonemes)
    blink = blink_track(n, fps, rng)
    stresses = stress_times(phonemes, mouth_open, fps)
    # A nod: the head dips over ~0.2 s into the stressed syllable and comes back up (gently:
    # at most ~0.3% of the face width per frame, so it never reads as a jump).
    nods = _pulse(n, fps, [at - 0.1 for at in stresses], 0.22, 0.04, 0.35)
    return Tracks(
        mouth_open=mouth_open,
        mouth_width=mouth_width,
        blink=blink,
        head_dx=_sway(n, fps, rng, 0.02),
        head_dy=_sway(n, fps, rng, 0.008) + _NOD_DEPTH * nods,
        head_roll=_sway(n, fps, rng, 1.6),
        gaze=gaze_track(n, fps, rng),
        brow=brow_track(n, fps, stresses, rng),
    )
