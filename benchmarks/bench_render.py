"""Benchmark the offline renderer: 10 s of talking head at 512x512, 720p and 1080p.

Each render runs in a fresh subprocess, so its peak RSS (ru_maxrss of the child) measures
the renderer alone, imports included, not this script or a warm cache.

- 512x512: the astronaut preset at its own size (the original benchmark).
- 720p / 1080p: a 4000x3000 "phone photo" (the Grace Hopper preset, upscaled, in a large
  backdrop) cut to a 16:9 head-and-shoulders crop: the face fills a third of the frame,
  which is the costly case (the whole head and mouth are warped every frame), and the
  search runs over the 12-megapixel photo.

Targets on the 2-core reference machine: 512x512 <= 0.2 s of wall time per second of
video, 720p <= 0.5 s/s, 1080p <= 1.0 s/s, peak RSS <= 700 MiB.

Run: python benchmarks/bench_render.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

SECONDS = 10.0
CASES = {
    "512x512": {"photo": "astronaut", "resolution": None, "framing": "photo"},
    "720p": {"photo": "phone", "resolution": 720, "framing": "landscape"},
    "1080p": {"photo": "phone", "resolution": 1080, "framing": "landscape"},
}

_CHILD = r"""
import json, sys, time, wave
from pathlib import Path
import cv2
import numpy as np
from talking_video_mcp.media.audio import write_wav
from talking_video_mcp.render import list_presets, render_talking_head
from talking_video_mcp.tts import synthesize

folder, seconds, case = Path(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
phrase = synthesize("The quick brown fox jumps over the lazy dog, then rests a while.", "espeak:en-us",
                    folder / "phrase.wav")
with wave.open(str(phrase.path)) as w:
    rate = w.getframerate()
    pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
pause = np.zeros(int(0.4 * rate), dtype=np.float32)
reps = int(seconds * rate // (pcm.size + pause.size)) + 1
speech = np.tile(np.concatenate([pcm, pause]), reps)[: int(seconds * rate)]
write_wav(folder / "speech.wav", speech, rate)
phonemes, offset = [], 0.0
while offset < seconds:
    phonemes += [(s + offset, e + offset, p) for s, e, p in phrase.phonemes or [] if s + offset < seconds]
    offset += (pcm.size + pause.size) / rate
presets = {p.preset_id: p.path for p in list_presets()}
if case["photo"] == "phone":
    portrait = cv2.imread(str(presets["grace_hopper"]))
    scale = 1500 / portrait.shape[0]
    portrait = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    canvas = np.full((3000, 4000, 3), (120, 130, 140), dtype=np.uint8)
    canvas[800:800 + portrait.shape[0], 1500:1500 + portrait.shape[1]] = portrait
    image = folder / "phone.jpg"
    cv2.imwrite(str(image), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    del canvas, portrait
else:
    image = presets[case["photo"]]
start = time.perf_counter()
result = render_talking_head(image, folder / "speech.wav", folder / "bench.mp4", max_size=512,
                             resolution=case["resolution"], framing=case["framing"], phonemes=phonemes)
wall = time.perf_counter() - start
print(json.dumps({"wall_s": wall, "video_s": result.duration_s, "frames": result.frames,
                  "width": result.width, "height": result.height}))
"""


def _run_case(case: dict[str, object], seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-render-") as folder:
        code = (
            "import resource, runpy, sys\n"
            f"sys.argv = ['child', {folder!r}, {str(seconds)!r}, {json.dumps(case)!r}]\n"
            f"exec(compile({_CHILD!r}, 'bench_render_child', 'exec'))\n"
            "print('@@RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"benchmark render failed:\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    peak_kib = int(next(ln for ln in lines if ln.startswith("@@RSS")).split()[1])
    measured = json.loads(next(ln for ln in reversed(lines) if ln.startswith("{")))
    return {
        "video_s": measured["video_s"],
        "wall_s": round(measured["wall_s"], 3),
        "s_per_video_s": round(measured["wall_s"] / measured["video_s"], 4),
        "fps_rendered": round(measured["frames"] / measured["wall_s"], 1),
        "width": measured["width"],
        "height": measured["height"],
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def run(seconds: float = SECONDS) -> dict[str, float]:
    """Render `seconds` of video per case, each in a subprocess; timing and peak memory.

    The flat keys are what `make bench` checks: s_per_video_s (512x512), s_per_video_s_720p,
    s_per_video_s_1080p and peak_rss_mib (the highest of the three); per-case figures follow.
    """
    cases = {name: _run_case(case, seconds) for name, case in CASES.items()}
    out: dict[str, float] = {
        "s_per_video_s": cases["512x512"]["s_per_video_s"],
        "s_per_video_s_720p": cases["720p"]["s_per_video_s"],
        "s_per_video_s_1080p": cases["1080p"]["s_per_video_s"],
        "peak_rss_mib": max(c["peak_rss_mib"] for c in cases.values()),
        "video_s": cases["512x512"]["video_s"],
    }
    for name, figures in cases.items():
        for key in ("wall_s", "fps_rendered", "width", "height", "peak_rss_mib"):
            out[f"{name}.{key}"] = figures[key]
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
