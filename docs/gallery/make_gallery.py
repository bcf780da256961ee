"""Regenerate the README's gallery of stills: the offline renderer at 1080p.

For two presets, the photo and three frames of it speaking, rendered at resolution 1080
with a square head-and-shoulders crop: an open vowel ("a"), a rounded one ("u", "o") and a
closed m/b/p. Each still is the 1080 x 1080 frame's face region, scaled to 360 px, in one
strip per preset (JPEG, so the repository stays small).

Run: .venv/bin/python docs/gallery/make_gallery.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

from talking_video_mcp.render import list_presets, render_talking_head
from talking_video_mcp.render.image_io import resize_to
from talking_video_mcp.tts import synthesize

HERE = Path(__file__).resolve().parent
PRESETS = ("grace_hopper", "mona_lisa")
SCRIPT = "Hello! My mom bought a bamboo boat, and we sailed to the harbour."
CELL = 360
FPS = 25


def _frame_at(frames: list[np.ndarray], phonemes: list[tuple[float, float, str]], letters: str) -> np.ndarray:
    for start, end, name in phonemes:
        if name.lstrip("ˈˌ")[:1] in letters and end - start >= 0.06:
            return frames[min(len(frames) - 1, int((start + end) / 2 * FPS))]
    return frames[len(frames) // 2]


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (0, CELL - 34), (CELL, CELL), (30, 30, 30), -1)
    cv2.putText(out, text, (10, CELL - 11), cv2.FONT_HERSHEY_SIMPLEX, 0.62, (240, 240, 240), 1, cv2.LINE_AA)
    return out


def make(preset_id: str, folder: Path) -> Path:
    photo = next(p.path for p in list_presets() if p.preset_id == preset_id)
    speech = synthesize(SCRIPT, "espeak:en-us", folder / "speech.wav")
    result = render_talking_head(photo, speech.path, folder / f"{preset_id}.mp4", resolution=1080,
                                 framing="square", phonemes=speech.phonemes)
    with av.open(str(result.path)) as container:
        frames = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
    phonemes = list(speech.phonemes or [])
    x, y, w, h = result.face_box
    side = int(1.5 * max(w, h))
    cx, cy = x + w // 2, y + int(0.55 * h)
    x0 = min(max(0, cx - side // 2), result.width - side)
    y0 = min(max(0, cy - side // 2), result.height - side)

    def cell(frame: np.ndarray) -> np.ndarray:
        return resize_to(np.ascontiguousarray(frame[y0:y0 + side, x0:x0 + side]), CELL, CELL)

    strip = np.hstack([
        _label(cell(frames[0]), "photo (1080p frame 0)"),
        _label(cell(_frame_at(frames, phonemes, "aɑæɐ")), "open vowel"),
        _label(cell(_frame_at(frames, phonemes, "uoʊɔ")), "rounded (o/u)"),
        _label(cell(_frame_at(frames, phonemes, "mbp")), "closed (m/b/p)"),
    ])
    out = HERE / f"{preset_id}.jpg"
    cv2.imwrite(str(out), strip, [cv2.IMWRITE_JPEG_QUALITY, 86])
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="gallery-") as tmp:
        for preset_id in PRESETS:
            print(make(preset_id, Path(tmp)))


if __name__ == "__main__":
    main()
