"""Audio helpers built on PyAV, so no ffmpeg binary has to be installed.

Every audio path in the product goes through here: the offline renderer decodes the
speech track, the input checks probe uploads, and cloud providers that want WAV get a
transcode. Samples are always mono float32 in [-1, 1]; that is all speech needs.
"""

from __future__ import annotations

import math
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

_FORMATS_HINT = "use WAV, MP3, M4A/AAC, OGG/Opus or FLAC"
# Peak level under which a file counts as silent: quieter than this, nobody hears speech.
_SILENCE_PEAK_DBFS = -45.0


@dataclass(frozen=True)
class AudioInfo:
    """What a caller needs to judge an audio file before using it."""

    duration_s: float
    sample_rate: int
    channels: int
    codec: str
    container: str
    rms_dbfs: float
    is_silent: bool


def _open_error(path: Path, exc: Exception) -> ValueError:
    reason = str(getattr(exc, "strerror", None) or exc).rstrip(".").lower()
    return ValueError(f"Could not decode the audio file {path.name!r} ({reason}); {_FORMATS_HINT}.")


def _decode(path: Path, sample_rate: int | None) -> tuple[FloatArray, int, int, str, str]:
    """Decode the first audio stream to mono float32 (resampled when sample_rate is given).

    Returns (samples, rate, source_channels, codec, container).
    """

    if not path.is_file():
        raise FileNotFoundError(f"Audio file not found: {path}")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise _open_error(path, exc) from None
    try:
        if not container.streams.audio:
            raise ValueError(f"The file {path.name!r} has no audio track; {_FORMATS_HINT}.")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        rate = int(sample_rate or ctx.sample_rate or 0)
        if rate <= 0:
            raise ValueError(f"The audio file {path.name!r} has no sample rate; {_FORMATS_HINT}.")
        channels = int(ctx.channels or 1)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks: list[FloatArray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        except av.FFmpegError as exc:
            if not chunks:
                raise _open_error(path, exc) from None
            # A damaged tail: keep what decoded, as players do.
        codec = str(ctx.name)
        fmt = str(container.format.name)
    finally:
        container.close()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    np.clip(samples, -1.0, 1.0, out=samples)
    return samples, rate, channels, codec, fmt


def decode_audio(path: Path, sample_rate: int = 16000) -> FloatArray:
    """Decode any common audio file to mono float32 samples in [-1, 1] at `sample_rate`.

    Raises ValueError for files that are not decodable audio.
    """
    samples, _, _, _, _ = _decode(Path(path), sample_rate)
    return samples


def write_wav(path: Path, samples: npt.NDArray[np.floating], sample_rate: int) -> None:
    """Write 16-bit PCM WAV; a 2-D array (frames, channels) writes several channels."""
    data = np.asarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else int(data.shape[1])
    pcm = np.clip(np.round(data * 32767.0), -32768, 32767).astype("<i2")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(int(sample_rate))
        wav.writeframes(pcm.tobytes())


def _dbfs(value: float) -> float:
    return 20.0 * math.log10(value) if value > 1e-10 else -200.0


def probe_audio(path: Path) -> AudioInfo:
    """Decode the whole file once and report duration, format and loudness.

    Decoding (rather than trusting headers) catches truncated files and gives the exact
    duration and level. Raises ValueError with a sentence a user can act on.
    """
    samples, rate, channels, codec, fmt = _decode(Path(path), None)
    if samples.size == 0:
        raise ValueError(f"The audio file {Path(path).name!r} contains no audio samples; {_FORMATS_HINT}.")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    peak = float(np.max(np.abs(samples)))
    return AudioInfo(
        duration_s=samples.size / rate,
        sample_rate=rate,
        channels=channels,
        codec=codec,
        container=fmt,
        rms_dbfs=round(_dbfs(rms), 2),
        is_silent=_dbfs(peak) < _SILENCE_PEAK_DBFS,
    )


def transcode_to_wav(src: Path, dst: Path, sample_rate: int = 44100) -> AudioInfo:
    """Convert any common audio file to mono 16-bit WAV at `sample_rate`.

    The WAV is written beside `dst` and renamed into place, so a reader never sees half a file.
    """
    dst = Path(dst)
    samples = decode_audio(Path(src), sample_rate)
    if samples.size == 0:
        raise ValueError(f"The audio file {Path(src).name!r} contains no audio samples; {_FORMATS_HINT}.")
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=".wav.part", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_wav(tmp, samples, sample_rate)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return probe_audio(dst)


def envelope(samples: npt.NDArray[np.floating], sample_rate: int, fps: int = 25) -> FloatArray:
    """Loudness per video frame, 0 (silence) .. 1 (the speech's loud parts).

    Frame i covers [i/fps, (i+1)/fps), so len(result) = ceil(duration * fps): the same
    frame count the renderer uses. The level is RMS in dB, mapped between a floor 35 dB
    under the loud reference (95th percentile of the audible frames) and that reference,
    which makes the curve independent of the recording's gain.
    """
    data = np.asarray(samples, dtype=np.float32).reshape(-1)
    if data.size == 0:
        return np.zeros(0, dtype=np.float32)
    hop = sample_rate / float(fps)
    n_frames = max(1, math.ceil(data.size / hop - 1e-9))
    bounds = np.minimum(np.round(np.arange(n_frames + 1) * hop).astype(np.int64), data.size)
    squares = np.concatenate([[0.0], np.cumsum(np.square(data, dtype=np.float64))])
    counts = np.maximum(bounds[1:] - bounds[:-1], 1)
    rms = np.sqrt(np.maximum(squares[bounds[1:]] - squares[bounds[:-1]], 0.0) / counts)
    db = 20.0 * np.log10(np.maximum(rms, 1e-10))
    audible = db[db > -60.0]
    if audible.size == 0:
        return np.zeros(n_frames, dtype=np.float32)
    ref = float(np.percentile(audible, 95))
    floor = max(ref - 35.0, -60.0)
    env: FloatArray = np.clip((db - floor) / max(ref - floor, 1e-6), 0.0, 1.0).astype(np.float32)
    return env
