"""Which file may be shown for a job, and what people read about a job (the player and the gallery share it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.services import Services

VIDEO_MIME = "video/mp4"
AUDIO_MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg"}
POSTER_MIME = "image/jpeg"
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,100}", re.ASCII)

# Shown to people (not to the assistant) for jobs that will not produce a video.


class VideoUnavailable(Exception):
    """Why a job's video cannot be served; `status` is the HTTP status that says it."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def valid_job_id(job_id: str) -> bool:
    return _JOB_ID.fullmatch(job_id) is not None


def video_file(state: Services, job: JobRecord) -> Path:
    """The finished MP4 of `job`: only a completed job's own `video_path`, inside the videos directory."""
    if job.status != "completed":
        raise VideoUnavailable(f"job {job.id} is {job.status}; only completed jobs have a video.", 409)
    if not job.video_path:
        raise VideoUnavailable(f"job {job.id} has no video (it produced audio only).", 404)
    root = state.settings.videos_dir.resolve()
    path = Path(job.video_path).resolve()
    if not path.is_relative_to(root) or path.suffix.lower() != ".mp4":
        raise VideoUnavailable(f"the video of job {job.id} is not in the videos directory.", 404)
    if not path.is_file():
        raise VideoUnavailable(f"the video file of job {job.id} was deleted.", 410)
    return path


def audio_file(state: Services, job: JobRecord) -> Path:
    """The finished audio of a text_to_speech job: its own `audio_path`, inside the videos directory."""
    if job.status != "completed":
        raise VideoUnavailable(f"job {job.id} is {job.status}; only completed jobs have audio.", 409)
    if job.kind != "speech" or not job.audio_path:
        raise VideoUnavailable(f"job {job.id} is not a text_to_speech job with audio.", 404)
    path = Path(job.audio_path).resolve()
    if not path.is_relative_to(state.settings.videos_dir.resolve()) or path.suffix.lower() not in AUDIO_MIME:
        raise VideoUnavailable(f"the audio of job {job.id} is not in the videos directory.", 404)
    if not path.is_file():
        raise VideoUnavailable(f"the audio file of job {job.id} was deleted.", 410)
    return path


def poster_file(state: Services, job: JobRecord) -> Path | None:
    """The still saved when the job's video was finished (media.video.save_poster), when it is on this disk."""
    try:
        video = video_file(state, job)
    except VideoUnavailable:
        return None
    poster = video.with_suffix(".jpg")
    return poster if poster.is_file() else None


STORED_LINK_S = 3600


def stored_copy(state: Services, job: JobRecord) -> str | None:
    """A presigned URL of the job's video in the store (TALKING_VIDEO_STORAGE_URL), when it was stored there:
    how a replica that did not make the video serves it."""
    key = job.state.get("storage_key")
    storage = state.downloads.storage
    if job.status != "completed" or not key or storage is None:
        return None
    return storage.presign(str(key), STORED_LINK_S)


def lookup_video(state: Services, job_id: str) -> tuple[JobRecord, Path]:
    """Blocking (call it in a thread): the job and its video file, or VideoUnavailable."""
    if not valid_job_id(job_id):
        raise VideoUnavailable("not a job id.", 404)
    job = state.store.get(job_id, owner=state.owner_id)  # another user's job is as unknown as a missing one
    if job is None:
        raise VideoUnavailable(f"job_id {job_id!r} is not in the ledger.", 404)
    return job, video_file(state, job)


@dataclass(frozen=True)
class JobText:
    script: str | None
    voice_id: str | None
    prompt: str | None
    title: str | None


def job_text(job: JobRecord) -> JobText:
    """What the job says and who says it, from the validated request in the ledger."""
    display = job.request.display
    speech = job.request.tts
    return JobText(
        script=display.script or (speech.script if speech else None),
        voice_id=display.voice_id or (speech.voice_id if speech else None),
        prompt=display.prompt,
        title=display.title,
    )
