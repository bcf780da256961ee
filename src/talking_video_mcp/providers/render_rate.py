"""How fast this machine renders: seconds of render per second of audio, kept per video size in
TALKING_VIDEO_HOME/render-rate.json as a running average of the local renders done here.

Before the first render the defaults are the reference machine's figures (benchmarks/results.md, 2 cores)
with room to spare; each finished render moves the average halfway to what it measured, so a slower or a
busier machine is learned in a render or two."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "render-rate.json"
# Seconds of render per second of audio before anything was measured here, by output size ("auto": the photo's
# own size up to 1080p).
DEFAULTS = {"auto": 0.4, "512": 0.2, "720": 0.5, "1080": 1.0}
_WEIGHT = 0.5  # how far one render moves the average


def size_key(resolution: int | None) -> str:
    return "auto" if resolution is None else str(resolution)


class RenderRates:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, float]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def rate(self, resolution: int | None) -> float:
        """Seconds of render per second of audio at this size: measured here, else the default."""
        key = size_key(resolution)
        entry = self._load().get(key) or {}
        value = entry.get("s_per_audio_s")
        return float(value) if isinstance(value, int | float) and value > 0 else DEFAULTS.get(key, DEFAULTS["auto"])

    def expected_s(self, resolution: int | None, audio_s: float) -> float:
        return self.rate(resolution) * max(audio_s, 0.1)

    def record(self, resolution: int | None, audio_s: float, render_s: float) -> None:
        """Fold one finished render into the average (blocking: call it in a thread). Best effort: a home that
        cannot be written keeps the old figure."""
        if audio_s < 1.0 or render_s <= 0:
            return  # too short to say anything about the speed
        measured = render_s / audio_s
        key = size_key(resolution)
        with self._lock:
            data = self._load()
            entry = data.get(key) or {}
            old = entry.get("s_per_audio_s")
            value = measured if not isinstance(old, int | float) or old <= 0 else old + _WEIGHT * (measured - old)
            data[key] = {"s_per_audio_s": round(value, 4), "renders": int(entry.get("renders") or 0) + 1}
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError as exc:
                log.warning("could not record the render rate in %s: %s", self.path, exc)
