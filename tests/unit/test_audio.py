"""media.audio: decoding common formats, probing, silence, transcoding and the envelope."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from talking_video_mcp.media.audio import (
    AudioInfo,
    decode_audio,
    envelope,
    probe_audio,
    transcode_to_wav,
    write_wav,
)

RATE = 22050


def _tone(seconds: float, rate: int = RATE, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _encode(path: Path, samples: np.ndarray, codec: str, fmt: str, rate: int) -> Path:
    """Write `samples` with a PyAV encoder, as a user's file would arrive."""
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        size = stream.codec_context.frame_size or 1024
        resampled = np.interp(np.arange(0, samples.size, RATE / rate), np.arange(samples.size), samples)
        data = resampled.astype(np.float32)
        for start in range(0, data.size, size):
            chunk = data[start:start + size]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_wav_roundtrip_and_probe(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    write_wav(path, _tone(1.5), RATE)
    info = probe_audio(path)
    assert info == AudioInfo(
        duration_s=pytest.approx(1.5, abs=1e-3), sample_rate=RATE, channels=1, codec="pcm_s16le",
        container="wav", rms_dbfs=info.rms_dbfs, is_silent=False,
    )
    assert -14.0 < info.rms_dbfs < -13.0  # 0.3 * sin: RMS 0.212
    samples = decode_audio(path, 16000)
    assert samples.dtype == np.float32
    assert samples.size == pytest.approx(24000, abs=2)
    assert float(np.abs(samples).max()) == pytest.approx(0.3, abs=0.02)


@pytest.mark.parametrize(("suffix", "codec", "fmt", "rate"), [
    ("mp3", "libmp3lame", "mp3", 44100),
    ("m4a", "aac", "mp4", 44100),
    ("ogg", "libopus", "ogg", 48000),
    ("flac", "flac", "flac", 44100),
])
def test_decodes_compressed_formats(tmp_path: Path, suffix: str, codec: str, fmt: str, rate: int) -> None:
    path = _encode(tmp_path / f"tone.{suffix}", _tone(1.0), codec, fmt, rate)
    samples = decode_audio(path, 16000)
    assert samples.size / 16000 == pytest.approx(1.0, abs=0.08)
    assert 0.15 < float(np.sqrt(np.mean(samples**2))) < 0.25
    info = probe_audio(path)
    assert info.sample_rate == rate and not info.is_silent
    assert info.duration_s == pytest.approx(1.0, abs=0.08)


def test_silence_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "quiet.wav"
    write_wav(path, np.zeros(RATE, dtype=np.float32), RATE)
    info = probe_audio(path)
    assert info.is_silent
    assert info.rms_dbfs < -100


def test_transcode_to_wav(tmp_path: Path) -> None:
    src = _encode(tmp_path / "speech.m4a", _tone(0.8), "aac", "mp4", 44100)
    dst = tmp_path / "out" / "speech.wav"
    info = transcode_to_wav(src, dst, sample_rate=24000)
    assert dst.is_file()
    assert info.codec == "pcm_s16le" and info.sample_rate == 24000 and info.channels == 1
    assert info.duration_s == pytest.approx(0.8, abs=0.06)
    assert [p.name for p in dst.parent.iterdir()] == ["speech.wav"]  # no temporary left


def test_undecodable_file_raises_value_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp3"
    bad.write_text("this is not audio at all\n" * 20)
    with pytest.raises(ValueError, match=r"Could not decode the audio file 'notes\.mp3'"):
        probe_audio(bad)
    with pytest.raises(FileNotFoundError):
        decode_audio(tmp_path / "missing.wav")


def test_envelope_tracks_loudness() -> None:
    sound = np.concatenate([_tone(0.4, 16000), np.zeros(6400, np.float32), _tone(0.4, 16000, 0.05)])
    env = envelope(sound, 16000, fps=25)
    assert env.shape == (30,)  # 1.2 s at 25 fps
    assert env.min() >= 0 and env.max() <= 1
    assert env[:10].mean() > 0.95
    assert env[10:20].max() == 0.0
    assert 0.5 < env[20:].mean() < 0.95  # 16 dB quieter, still audible
