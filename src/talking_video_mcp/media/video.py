"""Check that a video file is complete before it takes its final name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VideoInfo:
    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str | None
    frames: int


def probe_video(path: Path, *, decode_all: bool = False) -> VideoInfo:
    """Open the container and decode (the first or every) frame; raise ValueError if it is damaged."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            vstream = container.streams.video[0]
            astream = container.streams.audio[0] if container.streams.audio else None
            frames = 0
            last_time = 0.0
            for frame in container.decode(video=0):
                frames += 1
                if frame.time is not None:
                    last_time = float(frame.time)
                if not decode_all:
                    break
            if frames == 0:
                raise ValueError("no decodable frame")
            fps = float(vstream.average_rate or 0)
            if container.duration:
                duration = float(container.duration) / 1_000_000
            else:
                duration = last_time + (1 / fps if fps else 0)
            return VideoInfo(
                duration_s=duration,
                width=int(vstream.codec_context.width),
                height=int(vstream.codec_context.height),
                fps=fps,
                video_codec=str(vstream.codec_context.name),
                audio_codec=str(astream.codec_context.name) if astream else None,
                frames=frames if decode_all else int(vstream.frames or 0),
            )
    except av.FFmpegError as exc:
        raise ValueError(str(exc)) from None


POSTER_AT_S = 0.5  # past a fade-in, before the speaker's first big mouth movement


def poster_path(video: Path) -> Path:
    """Where a video's poster frame lives: next to it, same name, .jpg."""
    return video.with_suffix(".jpg")


def save_poster(video: Path, *, max_side: int = 640) -> Path:
    """Write a JPEG of the frame at POSTER_AT_S (or the last one of a shorter video) next to `video`, scaled to at
    most `max_side`: so a gallery card shows the face before anyone presses play. ValueError if it cannot."""
    import av
    import cv2  # OpenCV, as the renderer and the face check use it

    dest = poster_path(video)
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            chosen = None
            for frame in container.decode(video=0):
                chosen = frame
                if frame.time is not None and frame.time >= POSTER_AT_S:
                    break
            if chosen is None:
                raise ValueError("no decodable frame")
            image = chosen.to_ndarray(format="bgr24")
    except av.FFmpegError as exc:
        raise ValueError(str(exc)) from None
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    size = (round(width * scale), round(height * scale))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 82])
    if not ok:
        raise ValueError("the frame could not be encoded as JPEG")
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_bytes(encoded.tobytes())
    tmp.replace(dest)
    return dest
