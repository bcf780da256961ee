"""Benchmark the offline renderer: 10 s of 512x512 talking head on this machine.

The render runs in a fresh subprocess, so its peak RSS (ru_maxrss of the child) measures
the renderer alone, imports included, not this script or a warm cache. Target on the
2-core reference machine: <= 0.25 s of wall time per second of video, <= 500 MiB peak RSS.

Run: python benchmarks/bench_render.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile

SECONDS = 10.0

_CHILD = r"""
import json, sys, time, wave
from pathlib import Path
import numpy as np
from talking_video_mcp.media.audio import write_wav
from talking_video_mcp.render import list_presets, render_talking_head
from talking_video_mcp.tts import synthesize

folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
phrase = synthesize("The quick brown fox jumps over the lazy dog, then rests a while.", "espeak:en-us",
                    folder / "phrase.wav")
with wave.open(str(phrase.path)) as w:
    rate = w.getframerate()
    pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
pause = np.zeros(int(0.4 * rate), dtype=np.float32)
reps = int(seconds * rate // (pcm.size + pause.size)) + 1
speech = np.tile(np.concatenate([pcm, pause]), reps)[: int(seconds * rate)]
write_wav(folder / "speech.wav", speech, rate)
image = next(p.path for p in list_presets() if p.preset_id == "astronaut")  # 512 x 512
start = time.perf_counter()
result = render_talking_head(image, folder / "speech.wav", folder / "bench.mp4", max_size=512)
wall = time.perf_counter() - start
print(json.dumps({"wall_s": wall, "video_s": result.duration_s, "frames": result.frames,
                  "width": result.width, "height": result.height}))
"""


def run(seconds: float = SECONDS) -> dict[str, float]:
    """Render `seconds` of video in a subprocess; return timing and peak memory."""
    with tempfile.TemporaryDirectory(prefix="bench-render-") as folder:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, folder, str(seconds)], capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"benchmark render failed:\n{done.stderr}")
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "video_s": measured["video_s"],
        "wall_s": round(measured["wall_s"], 3),
        "s_per_video_s": round(measured["wall_s"] / measured["video_s"], 4),
        "fps_rendered": round(measured["frames"] / measured["wall_s"], 1),
        "width": measured["width"],
        "height": measured["height"],
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
