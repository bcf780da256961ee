"""Mouth shapes from phonemes: lips shut on m/b/p, rounded on o/u, spread on i/e, no jumps.

The video test measures the rendered MP4, not the renderer's own numbers: the mouth's
opening is how much darker the mouth region gets than with the lips closed, and its shape
is the dark cavity's width over its height.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_video_mcp.media.audio import decode_audio, envelope
from talking_video_mcp.render import list_presets, render_talking_head
from talking_video_mcp.render.visemes import coarticulated_tracks, is_bilabial
from talking_video_mcp.tts import synthesize
from tests.unit.video_checks import FPS, decode_frames, mouth_box, mouth_darkness

SCRIPT = "Mom bought a bamboo boat. Pete sees me moving pumpkins. Who knew you too? Bob, maybe keep the beef."
ROUNDED = ("o", "u", "ʊ", "ɔ")
SPREAD = ("i", "ɪ", "e")


def _first_letter(phoneme: str) -> str:
    return phoneme.lstrip("ˈˌ")[:1]


def _frames_of(phonemes: list[tuple[float, float, str]], keep: tuple[str, ...] | None, n: int) -> list[int]:
    out = []
    for start, end, name in phonemes:
        if (keep is None and is_bilabial(name)) or (keep is not None and _first_letter(name) in keep):
            i = int((start + end) / 2 * FPS)
            if i < n:
                out.append(i)
    return out


def test_tracks_close_round_and_spread() -> None:
    phonemes = [(0.1, 0.2, "m"), (0.2, 0.35, "ˈuː"), (0.35, 0.42, "b"), (0.42, 0.6, "iː"), (0.6, 0.7, "p"),
                (0.7, 0.9, "ɑː")]
    openness, width, covered = coarticulated_tracks(phonemes, 25, FPS)
    for start, end, name in phonemes:
        i = int((start + end) / 2 * FPS)
        if is_bilabial(name):
            assert openness[i] < 0.05, (name, openness[i])
    assert width[int(0.27 * FPS)] < 0.85 < 1.08 < width[int(0.51 * FPS)]
    assert openness[int(0.8 * FPS)] > 0.7
    assert covered[3] and not covered[24]
    assert float(np.abs(np.diff(openness)).max()) < 0.75  # transitions, not jumps


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, float, str]]]:
    folder = tmp_path_factory.mktemp("visemes")
    # eSpeak carries state from one utterance to the next in a process (the same text sounds a little
    # different after other voices have spoken), and this measure is sensitive to it: the speech is made by a
    # fresh interpreter, so the test sees the same audio whatever ran before it.
    speak = (
        "import json, sys; from pathlib import Path; from talking_video_mcp.tts import synthesize; "
        "s = synthesize(sys.argv[1], 'espeak:en-us', Path(sys.argv[2])); print(json.dumps(s.phonemes))"
    )
    done = subprocess.run([sys.executable, "-c", speak, SCRIPT, str(folder / "speech.wav")], check=True,
                          capture_output=True, text=True)
    phonemes = [tuple(p) for p in json.loads(done.stdout)]
    assert phonemes
    image = next(p.path for p in list_presets() if p.preset_id == "grace_hopper")
    result = render_talking_head(image, folder / "speech.wav", folder / "visemes.mp4", resolution=512,
                                 framing="square", phonemes=phonemes)
    return result.path, phonemes


def _cavity_shape(frame: np.ndarray, box: tuple[int, int, int, int], closed_gray: float) -> tuple[int, int]:
    """Width and height (px) of the dark mouth interior inside `box`."""
    x0, y0, x1, y1 = box
    gray = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
    dark = (gray < 0.45 * closed_gray).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(dark)
    if count <= 1:
        return 0, 0
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return int(stats[biggest, cv2.CC_STAT_WIDTH]), int(stats[biggest, cv2.CC_STAT_HEIGHT])


def test_video_mouth_follows_visemes(rendered: tuple[Path, list[tuple[float, float, str]]]) -> None:
    path, phonemes = rendered
    frames = decode_frames(path)
    env = envelope(decode_audio(path, 16000), 16000, FPS)[: len(frames)]
    box = mouth_box(frames[0])
    # Widen the box for the shape measurement: corners included.
    x0, y0, x1, y1 = box
    pad = (x1 - x0) // 2
    wide = (max(0, x0 - pad), y0, x1 + pad, y1)
    darkness = mouth_darkness(frames, box)
    closed = float(np.median(darkness[env[: darkness.size] == 0])) if np.any(env == 0) else float(darkness.min())
    opening = np.maximum(darkness - closed, 0.0)
    speaking = [i for i in range(len(frames)) if env[i] > 0.3]
    median_open = float(np.median(opening[speaking]))
    assert median_open > 2.0, median_open

    bilabial = _frames_of(phonemes, None, len(frames))
    assert len(bilabial) >= 10
    shut = opening[bilabial]
    assert float(np.median(shut)) <= 0.25 * median_open, (shut.round(1), median_open)
    assert float(np.mean(shut <= 0.25 * median_open)) >= 0.8, (shut.round(1), median_open)

    x, y0b, _, y1b = wide
    closed_gray = float(cv2.cvtColor(frames[0][y0b:y1b, x:wide[2]], cv2.COLOR_BGR2GRAY).mean())

    def ratios(keep: tuple[str, ...]) -> list[float]:
        out = []
        for i in _frames_of(phonemes, keep, len(frames)):
            w, h = _cavity_shape(frames[i], wide, closed_gray)
            if h >= 3:
                out.append(w / h)
        return out

    rounded, spread = ratios(ROUNDED), ratios(SPREAD)
    assert len(rounded) >= 4 and len(spread) >= 3, (rounded, spread)
    assert float(np.median(rounded)) < float(np.median(spread)), (rounded, spread)


def test_piper_voice_times_its_phonemes(tmp_path: Path) -> None:
    """The neural voice reports phoneme timing too (Piper's alignments, with onnx installed),
    so its videos get the same visemes: the lips shut on its m/b/p."""
    speech = synthesize(SCRIPT, "piper:en_US-joe-medium", tmp_path / "piper.wav")
    assert speech.phonemes, "Piper gave no phoneme timing: is the onnx package installed?"
    assert all(0 <= s < e <= speech.duration_s + 1e-3 for s, e, _ in speech.phonemes)
    n = int(speech.duration_s * FPS) + 1
    openness, width, _ = coarticulated_tracks(speech.phonemes, n, FPS)
    shut = [openness[i] for i in _frames_of(list(speech.phonemes), None, n)]
    assert len(shut) >= 10 and float(np.median(shut)) < 0.05
    rounded = [width[i] for i in _frames_of(list(speech.phonemes), ROUNDED, n)]
    spread = [width[i] for i in _frames_of(list(speech.phonemes), SPREAD, n)]
    assert float(np.median(rounded)) < 0.95 < 1.05 < float(np.median(spread))
