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
from typing import Literal

import numpy as np

from talking_video_mcp.media.audio import decode_audio, envelope
from talking_video_mcp.render.animate import FaceAnimator
from talking_video_mcp.render.encode import AUDIO_RATE, Mp4Writer
from talking_video_mcp.render.face import NO_FACE_MESSAGE, FaceMesh, find_faces
from talking_video_mcp.render.framing import check_choice, crop_for, output_size
from talking_video_mcp.render.geometry import face_geometry
from talking_video_mcp.render.image_io import Image, read_photo, resize_to
from talking_video_mcp.render.motion import compute_tracks
from talking_video_mcp.render.types import AudioUnusable, RenderCanceled, RenderResult

_PROGRESS_EVERY = 5  # frames between progress reports
_MAX_FPS = 60


def render_talking_head(
    image_path: Path,
    audio_path: Path,
    out_path: Path,
    *,
    fps: int = 25,
    max_size: int | None = 512,
    resolution: int | Literal["auto"] | None = None,
    framing: str = "photo",
    face_index: int | None = None,
    phonemes: Sequence[tuple[float, float, str]] | None = None,
    seed: int = 0,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> RenderResult:
    """Animate the face in `image_path` speaking `audio_path`; write an H.264/AAC MP4.

    Size: with `resolution` None the framed photo is scaled so its longer side is at most
    `max_size` (the original behaviour, never enlarged). With `resolution` 512/720/1080
    the video's short side is that many pixels; "auto" picks the largest the photo
    supports, up to 1080.
    `framing` is "photo" (all of it) or a head-and-shoulders crop: "portrait" (9:16),
    "square" or "landscape" (16:9). Photos of any size up to 8192x8192 are read.

    Faces: all faces are found (largest first, `RenderResult.faces` in photo pixels);
    the largest is animated unless `face_index` picks another.

    `phonemes` ((start_s, end_s, ipa) as synthesize() returns) sharpens the mouth shapes.
    should_cancel() is polled every frame: when true, RenderCanceled is raised and no
    file is left. Raises ValueError when the photo has no usable face, `face_index` is
    out of range or an option is not allowed, and AudioUnusable (a ValueError) when the audio cannot be
    decoded or is empty.
    """
    if not 1 <= fps <= _MAX_FPS:
        raise ValueError(f"fps must be between 1 and {_MAX_FPS}, got {fps}.")
    if max_size is not None and max_size < 64:
        raise ValueError(f"max_size must be at least 64 pixels, got {max_size}.")
    check_choice(None if resolution in (None, "auto") else int(resolution), framing)
    _report(on_progress, 0.0)
    photo = read_photo(Path(image_path))
    faces = find_faces(photo)
    chosen = _choose_face(faces, face_index)
    _check_cancel(should_cancel)
    image, mesh = _frame_photo(photo, faces[chosen], max_size, resolution, framing)
    del photo
    geometry = face_geometry(mesh.points, image)
    _check_cancel(should_cancel)
    try:
        audio = decode_audio(Path(audio_path), AUDIO_RATE)
    except ValueError as exc:
        raise AudioUnusable(str(exc)) from None
    if audio.size == 0:
        raise AudioUnusable("The audio file contains no sound samples: pass a recording with speech.")
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
        faces=tuple(face.box for face in faces), face_index=chosen,
    )


def _choose_face(faces: list[FaceMesh], face_index: int | None) -> int:
    if not faces:
        raise ValueError(NO_FACE_MESSAGE)
    if face_index is None:
        return 0
    if not 0 <= face_index < len(faces):
        found = "; ".join(f"{i}: box {face.box}" for i, face in enumerate(faces))
        raise ValueError(
            f"face_index {face_index} is out of range: the photo has {len(faces)} face(s), largest first ({found})."
        )
    return face_index


def _frame_photo(
    photo: Image, face: FaceMesh, max_size: int | None, resolution: int | Literal["auto"] | None, framing: str,
) -> tuple[Image, FaceMesh]:
    """Crop and scale the photo to the video frame; the face's landmarks follow."""
    height, width = photo.shape[:2]
    fx, fy, fw, fh = (float(v) for v in face.box)
    crop = crop_for(width, height, (fx, fy, fw, fh), framing)
    if resolution is None:
        scale = 1.0 if max_size is None else min(1.0, max_size / max(crop.height, crop.width))
        size = (max(2, int(crop.width * scale) // 2 * 2), max(2, int(crop.height * scale) // 2 * 2))
    else:
        size = output_size(crop, None if resolution == "auto" else int(resolution))
    x0, y0 = round(crop.x), round(crop.y)
    x1, y1 = min(width, round(crop.x + crop.width)), min(height, round(crop.y + crop.height))
    image = resize_to(np.ascontiguousarray(photo[y0:y1, x0:x1]), *size)
    sx, sy = size[0] / (x1 - x0), size[1] / (y1 - y0)
    points = ((face.points - np.array([x0, y0], dtype=np.float32)) * np.array([sx, sy], dtype=np.float32))
    points = points.astype(np.float32)
    lo = np.maximum(points.min(axis=0), 0.0)
    hi = np.minimum(points.max(axis=0), [size[0] - 1, size[1] - 1])
    box = (int(lo[0]), int(lo[1]), math.ceil(float(hi[0] - lo[0])), math.ceil(float(hi[1] - lo[1])))
    return image, FaceMesh(points=points, box=box, score=face.score)


def _report(callback: Callable[[float], None] | None, value: float) -> None:
    if callback is not None:
        callback(min(1.0, max(0.0, value)))


def _check_cancel(should_cancel: Callable[[], bool] | None) -> None:
    if should_cancel is not None and should_cancel():
        raise RenderCanceled("The render was canceled.")
