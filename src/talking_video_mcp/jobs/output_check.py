"""A look at a finished video before it is handed over: an output too small to look good, or a face blown up
from too few pixels, gets a warning in the job view that names the argument that would help (a landscape
photo cropped to 9:16 gives 248×440; a 300 px face stretched to 1080p looks soft), instead of no word at all."""

from __future__ import annotations

import logging
from pathlib import Path

from talking_video_mcp.domain.records import JobRecord

MIN_SHORT_SIDE = 480
MAX_UPSCALE = 2.0
log = logging.getLogger(__name__)


def output_warnings(job: JobRecord, video: Path) -> list[str]:
    """Blocking: the warnings a finished video earns (none when it looks fine or cannot be measured)."""
    from talking_video_mcp.media.video import probe_video  # PyAV: loaded with the first finished video

    try:
        info = probe_video(video)
    except (ValueError, OSError) as exc:
        log.warning("job %s: the finished video could not be measured: %s", job.id, exc)
        return []
    found: list[str] = []
    short = min(info.width, info.height)
    if short < MIN_SHORT_SIDE:
        found.append(f"{_size_argument(job)}: the video is only {info.width}x{info.height} ({short} px on its short "
                     f"side, under {MIN_SHORT_SIDE}); {_size_advice(job)}.")
    upscale = _face_upscale(job, video)
    if upscale is not None and upscale[0] > MAX_UPSCALE:
        factor, photo_px, video_px = upscale
        found.append(f"image: the face is {photo_px} px tall in the photo and {video_px} px in the video, enlarged "
                     f"{factor:.1f}x, so it looks soft; pass a photo where the face is at least "
                     f"{-(-video_px // 2)} px tall{_lower_resolution(job)}.")
    return found


def _size_argument(job: JobRecord) -> str:
    return "aspect_ratio" if job.request.display.aspect_ratio else "resolution"


def _size_advice(job: JobRecord) -> str:
    shape = job.request.display.aspect_ratio
    if shape:
        return (f"aspect_ratio='{shape}' crops the photo to that shape; leave aspect_ratio out (the photo's own "
                "shape), pass a photo of that shape, or resolution='720p'")
    return "pass resolution='720p' (or a larger photo)"


def _lower_resolution(job: JobRecord) -> str:
    return " (or a lower resolution)" if job.request.display.resolution is not None else ""


def _face_upscale(job: JobRecord, video: Path) -> tuple[float, int, int] | None:
    """(enlargement, face height in the photo, in the video), when both faces can be found."""
    spec = job.request.inputs.get("image")
    if spec is None or spec.path is None or not Path(spec.path).is_file():
        return None
    # OpenCV and the face model: the same cheap check that looked at the photo before the job started.
    from talking_video_mcp.render.check import check_faces

    try:
        photo = check_faces(Path(spec.path))
        frame = _frame_png(video)
        shown = check_faces(frame) if frame is not None else None
    except ValueError:
        return None
    if shown is None or not photo.boxes or not shown.boxes:
        return None
    photo_px, video_px = photo.boxes[0][3], shown.boxes[0][3]
    return (video_px / photo_px, photo_px, video_px) if photo_px > 0 else None


def _frame_png(video: Path) -> bytes | None:
    import av
    import cv2

    try:
        with av.open(str(video)) as container:
            for frame in container.decode(video=0):
                ok, encoded = cv2.imencode(".png", frame.to_ndarray(format="bgr24"))
                return encoded.tobytes() if ok else None
    except av.FFmpegError:
        return None
    return None
