"""Real, small media files the emulator serves: MP4 results, WAV speech, PNG pictures.

Clients download and probe what providers return, so these are genuine files (H.264 +
AAC MP4, PCM WAV, PNG) rather than placeholder bytes. numpy and PyAV load on first use,
and every file is cached by its parameters, so a test run encodes each length once.
"""

from __future__ import annotations

import io
import struct
import tempfile
import threading
import wave
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

VIDEO_SIZE = (160, 120)
VIDEO_FPS = 10
AUDIO_RATE = 16_000
MAX_VIDEO_SECONDS = 60
_CACHE_LIMIT = 48

_cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()
_key_locks: dict[tuple[object, ...], threading.Lock] = {}


def cached(key: tuple[object, ...], make: Callable[[], bytes]) -> bytes:
    """Build a file once per key (other threads asking for the same key wait for it)."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        data = make()
        with _cache_lock:
            _cache[key] = data
            while len(_cache) > _CACHE_LIMIT:
                _cache.popitem(last=False)
            _key_locks.pop(key, None)
        return data


# ------------------------------------------------------------------ pictures
def png_bytes(rgb: NDArray[np.uint8]) -> bytes:
    """Encode an HxWx3 uint8 array as PNG (zlib only, no imaging library needed)."""

    height, width, _ = rgb.shape
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, width * 3)], axis=1)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


RGB = tuple[int, int, int]


def _palette(seed: int) -> dict[str, RGB]:

    rng = np.random.default_rng(seed)

    def pick(low: int, high: int) -> RGB:
        r, g, b = (int(v) for v in rng.integers(low, high, 3))
        return (r, g, b)

    skins: list[RGB] = [
        (241, 194, 160),
        (224, 172, 130),
        (198, 134, 94),
        (141, 85, 54),
        (255, 219, 190),
        (172, 112, 74),
    ]
    hairs: list[RGB] = [(40, 28, 20), (90, 60, 35), (200, 160, 90), (20, 20, 20), (140, 70, 40), (160, 160, 160)]
    return {
        "bg_top": pick(90, 230),
        "bg_bottom": pick(30, 140),
        "skin": skins[int(rng.integers(len(skins)))],
        "hair": hairs[int(rng.integers(len(hairs)))],
        "shirt": pick(20, 220),
    }


def portrait(seed: int, width: int, height: int, mouth_open: float = 0.1) -> NDArray[np.uint8]:
    """A simple front-facing cartoon head and shoulders, varied by `seed`."""

    colors = _palette(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = yy / height, xx / width
    top, bottom = np.array(colors["bg_top"], np.float32), np.array(colors["bg_bottom"], np.float32)
    img = top[None, None, :] * (1 - y[..., None]) + bottom[None, None, :] * y[..., None]

    def ellipse(cx: float, cy: float, rx: float, ry: float) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0
        return result

    def paint(mask: NDArray[np.bool_], color: RGB) -> None:
        img[mask] = color

    paint(ellipse(0.5, 1.08, 0.42, 0.3), colors["shirt"])
    paint((np.abs(x - 0.5) < 0.08) & (y > 0.6) & (y < 0.82), colors["skin"])
    paint(ellipse(0.5, 0.4, 0.25, 0.3), colors["hair"])
    paint(ellipse(0.5, 0.46, 0.21, 0.27), colors["skin"])
    paint(ellipse(0.5, 0.26, 0.22, 0.1) & (y < 0.3), colors["hair"])
    for side in (-1, 1):
        cx = 0.5 + side * 0.085
        paint(ellipse(cx, 0.42, 0.045, 0.025), (250, 250, 250))
        paint(ellipse(cx, 0.42, 0.018, 0.022), (40, 30, 25))
        paint((np.abs(x - cx) < 0.05) & (np.abs(y - 0.37) < 0.008), colors["hair"])
    r, g, b = colors["skin"]
    paint(ellipse(0.5, 0.5, 0.02, 0.035), (int(r * 0.85), int(g * 0.85), int(b * 0.85)))
    paint(ellipse(0.5, 0.59, 0.07, 0.012 + 0.04 * mouth_open), (150, 50, 60))
    result: NDArray[np.uint8] = np.clip(img, 0, 255).astype(np.uint8)
    return result


def portrait_png(seed: int, width: int, height: int) -> bytes:
    return cached(("portrait", seed, width, height), lambda: png_bytes(portrait(seed, width, height)))


def waveform_png(seed: int, width: int = 320, height: int = 48) -> bytes:
    """A bar-chart picture of a waveform, as template listings link to."""

    def make() -> bytes:

        rng = np.random.default_rng(seed)
        img = np.full((height, width, 3), 245, np.uint8)
        bars = rng.random(width // 4) * 0.8 + 0.1
        for index, level in enumerate(bars):
            half = int(level * height / 2)
            img[height // 2 - half : height // 2 + half, index * 4 : index * 4 + 3] = (70, 90, 200)
        return png_bytes(img)

    return cached(("waveform", seed, width, height), make)


# ------------------------------------------------------------------ sound
def speech_like(seconds: float, seed: int, rate: int = AUDIO_RATE) -> NDArray[np.float32]:
    """Voiced 'syllables' with pauses: enough like speech for lip-sync style consumers."""

    rng = np.random.default_rng(seed)
    total = max(round(seconds * rate), 1)
    out = np.zeros(total, np.float32)
    pos = int(0.05 * rate)
    while pos < total:
        length = int(rng.uniform(0.12, 0.26) * rate)
        end = min(pos + length, total)
        t = np.arange(end - pos, dtype=np.float32) / rate
        pitch = rng.uniform(110, 220)
        tone = sum(np.sin(2 * np.pi * pitch * h * t) / h for h in (1, 2, 3))
        envelope = np.hanning(end - pos).astype(np.float32)
        out[pos:end] = 0.3 * envelope * tone
        pos = end + int(rng.uniform(0.02, 0.12) * rate)
    out += rng.normal(0, 0.004, total).astype(np.float32)
    clipped: NDArray[np.float32] = np.clip(out, -1, 1).astype(np.float32)
    return clipped


def wav_bytes(seconds: float, seed: int = 0, rate: int = AUDIO_RATE) -> bytes:
    """A mono 16-bit PCM WAV of `seconds` (rounded to 10 ms)."""
    seconds = round(max(seconds, 0.01), 2)

    def make() -> bytes:

        samples = (speech_like(seconds, seed, rate) * 32767).astype("<i2")
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(np.ascontiguousarray(samples).tobytes())
        return buf.getvalue()

    return cached(("wav", seconds, seed, rate), make)


# ------------------------------------------------------------------ video
def mp4_bytes(seconds: int, seed: int = 0) -> bytes:
    """An H.264 + AAC MP4 (160x120, 10 fps) of a talking cartoon head, `seconds` long."""
    seconds = min(max(int(seconds), 1), MAX_VIDEO_SECONDS)
    return cached(("mp4", seconds, seed), lambda: _encode_mp4(seconds, seed))


def _encode_mp4(seconds: int, seed: int) -> bytes:

    width, height = VIDEO_SIZE
    audio = speech_like(float(seconds), seed + 1)
    frames = seconds * VIDEO_FPS
    # Mouth opening follows the audio energy of each frame, so the clip "talks".
    per_frame = len(audio) // frames
    energy = np.abs(audio[: per_frame * frames]).reshape(frames, per_frame).mean(axis=1)
    energy = energy / max(float(energy.max()), 1e-6)
    with tempfile.TemporaryDirectory(prefix="tvmcp-emu-") as tmp:
        path = Path(tmp) / "out.mp4"
        with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as container:
            video = container.add_stream("libx264", rate=VIDEO_FPS)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"preset": "ultrafast", "crf": "32", "g": str(VIDEO_FPS)}
            sound = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            looks = [portrait(seed, width, height, mouth_open=level / 4) for level in range(5)]
            for index in range(frames):
                frame = av.VideoFrame.from_ndarray(looks[min(int(energy[index] * 5), 4)], format="rgb24")
                frame.pts = index
                for packet in video.encode(frame):
                    container.mux(packet)
            for packet in video.encode():
                container.mux(packet)
            step = 1024
            for start in range(0, len(audio), step):
                chunk = audio[start : start + step].reshape(1, -1)
                aframe = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="mono")
                aframe.sample_rate = AUDIO_RATE
                aframe.pts = start
                for packet in sound.encode(aframe):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
        return path.read_bytes()
