"""render_talking_head: photo + speech → talking-head MP4, on the CPU, offline.

The pipeline is: read and scale the photo, find the face (Haar + face mesh), measure
mouth and eyes, decode the speech, compute every frame's parameters up front (mouth from
loudness and phonemes, blinks, head sway), then draw and encode frame by frame. Only one
frame is in memory at a time, so memory stays flat however long the speech is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from talking_video_mcp.media.audio import decode_audio, envelope
from talking_video_mcp.render.animate import FaceAnimator
from talking_video_mcp.render.encode import AUDIO_RATE, Mp4Writer
from talking_video_mcp.render.face import detect_face
from talking_video_mcp.render.geometry import face_geometry
from talking_video_mcp.render.image_io import load_portrait
from talking_video_mcp.render.motion import compute_tracks
from talking_video_mcp.render.types import RenderCancelled, RenderResult

_PROGRESS_EVERY = 5  # frames between progress reports
_MAX_FPS = 60


def render_talking_head(
    image_path: Path,
    audio_path: Path,
    out_path: Path,
    *,
    fps: int = 25,
    max_size: int | None = 512,
    phonemes: Sequence[tuple[float, float, str]] | None = None,
    seed: int = 0,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> RenderResult:
    """Animate the face in `image_path` speaking `audio_path`; write an H.264/AAC MP4.

    `phonemes` ((start_s, end_s, ipa) as synthesize() returns) sharpens the mouth shapes.
    should_cancel() is polled every frame: when true, RenderCancelled is raised and no
    file is left. Raises ValueError when the photo has no usable face or the audio is empty.
    """
    if not 1 <= fps <= _MAX_FPS:
        raise ValueError(f"fps must be between 1 and {_MAX_FPS}, got {fps}.")
    if max_size is not None and max_size < 64:
        raise ValueError(f"max_size must be at least 64 pixels, got {max_size}.")
    _report(on_progress, 0.0)
    image = load_portrait(Path(image_path), max_size)
    mesh = detect_face(image)
    geometry = face_geometry(mesh.points, image)
    _check_cancel(should_cancel)
    audio = decode_audio(Path(audio_path), AUDIO_RATE)
    if audio.size == 0:
        raise ValueError("The audio file contains no sound samples: pass a recording with speech.")
    n_frames = max(1, math.ceil(audio.size * fps / AUDIO_RATE - 1e-9))
    env = np.zeros(n_frames, dtype=np.float32)
    measured = envelope(audio, AUDIO_RATE, fps)[:n_frames]
    env[: measured.size] = measured
    tracks = compute_tracks(env, fps, phonemes, seed)
    animator = FaceAnimator(image, geometry)
    height, width = image.shape[:2]
    _check_cancel(should_cancel)
    with Mp4Writer(Path(out_path), width, height, fps, audio, AUDIO_RATE) as writer:
        for index in range(n_frames):
            _check_cancel(should_cancel)
            writer.write(animator.render(tracks, index))
            if index % _PROGRESS_EVERY == 0:
                _report(on_progress, 0.99 * index / n_frames)
        path = writer.commit()
    _report(on_progress, 1.0)
    return RenderResult(
        path=path, duration_s=n_frames / fps, frames=n_frames, width=width, height=height, face_box=mesh.box,
    )


def _report(callback: Callable[[float], None] | None, value: float) -> None:
    if callback is not None:
        callback(min(1.0, max(0.0, value)))


def _check_cancel(should_cancel: Callable[[], bool] | None) -> None:
    if should_cancel is not None and should_cancel():
        raise RenderCancelled("The render was cancelled.")
