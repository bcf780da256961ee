"""Benchmark the local render ETA: a 10-minute talking video rendered on this machine, followed through MCP.

The server runs in-process (mcp.Client over memory, as an assistant's host would see it), in a fresh home, so
the render rate starts from the defaults (nothing learned yet: the hardest case). check_video_status is read
twice a second; when the job's progress first reaches 25 %, 50 % and 75 %, the ETA it reports is compared with
the time the render really had left. Target: within ±30 % at each point (issue 15; it showed 0.1 s throughout).
A second job, queued behind the render, must say it waits for a render slot.

Run: python benchmarks/bench_eta.py [seconds of audio, default 600]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

AUDIO_S = 600.0
POINTS = (0.25, 0.5, 0.75)
TOLERANCE = 0.30
POLL_S = 0.5


def _speech(folder: Path, seconds: float) -> Path:
    """`seconds` of real speech: one offline-voice sentence, repeated with pauses (as bench_render does)."""
    import numpy as np

    from talking_video_mcp.media.audio import decode_audio, write_wav
    from talking_video_mcp.tts import synthesize

    phrase = synthesize("The quick brown fox jumps over the lazy dog, then rests a while.", "espeak:en-us",
                        folder / "phrase.wav")
    rate = 16000
    pcm = decode_audio(Path(phrase.path), rate)
    unit = np.concatenate([pcm, np.zeros(int(0.4 * rate), dtype=np.float32)])
    speech = np.tile(unit, int(seconds * rate // unit.size) + 1)[: int(seconds * rate)]
    out = folder / "speech.wav"
    write_wav(out, speech, rate)
    return out


async def _follow(seconds: float, folder: Path) -> dict[str, Any]:
    from mcp import Client

    from talking_video_mcp.server import build_server
    from talking_video_mcp.settings import Settings

    home = folder / "home"
    settings = Settings(TALKING_VIDEO_HOME=home, TALKING_VIDEO_ALLOWED_ROOTS=[folder], TALKING_VIDEO_RENDER_SLOTS=1,
                        SEGMIND_API_KEY=None, UNIFICALLY_API_KEY=None)
    audio = _speech(folder, seconds)
    samples: list[tuple[float, float, float | None]] = []  # (time, progress, eta)
    async with Client(build_server(settings)) as client:
        def data(result: Any) -> dict[str, Any]:
            assert not result.is_error, result.content
            return dict(result.structured_content)

        job = data(await client.call_tool("generate_talking_video", {
            "model": "local", "avatar_preset_id": "local:astronaut", "audio": str(audio)}))
        behind = data(await client.call_tool("generate_talking_video", {
            "model": "local", "avatar_preset_id": "local:mona_lisa", "audio": str(audio)}))
        queued_view: dict[str, Any] | None = None
        while job["status"] in ("queued", "processing"):
            await anyio.sleep(POLL_S)
            job = data(await client.call_tool("check_video_status", {"job_id": job["job_id"]}))
            samples.append((time.monotonic(), job["progress"], job.get("eta_seconds")))
            if queued_view is None and job["status"] == "processing":
                queued_view = data(await client.call_tool("check_video_status", {"job_id": behind["job_id"]}))
        finished = time.monotonic()
        await client.call_tool("cancel_job", {"job_id": behind["job_id"]})
        rate = json.loads((home / "render-rate.json").read_text()) if (home / "render-rate.json").exists() else {}
    points = _points(samples, finished)
    start = samples[0][0] if samples else finished
    trace = [{"t": round(t - start, 1), "progress": p, "eta_s": eta, "real_left_s": round(finished - t, 1)}
             for i, (t, p, eta) in enumerate(samples) if i % 10 == 0]
    detail = (queued_view or {}).get("detail") or ""
    waiting = "render slot" in detail and "next in line" in detail
    return {
        "audio_s": seconds,
        "status": job["status"],
        "render_s": round(finished - samples[0][0], 1) if samples else None,
        "points": points,
        "queued_job": {k: (queued_view or {}).get(k) for k in ("status", "detail")},
        "learned_rate": rate,
        "trace": trace,
        "targets": {
            "eta_within_30pct": all(p["met"] for p in points.values()) and len(points) == len(POINTS),
            "queued_job_says_it_waits": waiting,
        },
    }


def _points(samples: list[tuple[float, float, float | None]], finished: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for point in POINTS:
        hit = next(((t, p, eta) for t, p, eta in samples if p >= point and eta is not None), None)
        if hit is None:
            continue
        t, progress, eta = hit
        real = finished - t
        assert eta is not None
        error = (eta - real) / real if real > 0 else 0.0
        out[f"{round(point * 100)}%"] = {"progress": progress, "eta_s": eta, "real_left_s": round(real, 1),
                                         "error": round(error, 3), "met": abs(error) <= TOLERANCE}
    return out


def run(seconds: float = AUDIO_S) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-eta-") as tmp:
        return anyio.run(_follow, seconds, Path(tmp))


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else AUDIO_S), indent=2))
