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
