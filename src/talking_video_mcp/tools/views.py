"""Ledger rows → what the assistant reads, including one sentence on what to do next."""

from __future__ import annotations

import time

from talking_video_mcp.domain.eta import RenderPlan, RenderQueue, render_eta
from talking_video_mcp.domain.records import JobRecord, utc_iso
from talking_video_mcp.models import JobView

_NEXT_STEP = {
    "queued": "Call check_video_status with this job_id (wait_seconds up to 55) to follow it.",
    "processing": "Call check_video_status with this job_id (wait_seconds up to 55) until it is completed.",
    "completed": "The video is ready: give the user video_path (and the resource link).",
    "failed": "Tell the user why it failed; fix the input named in the error and submit again.",
    "canceled": "The job was canceled; submit a new one if the user still wants the video.",
    "expired": "The provider no longer has the result; submit the job again (force_new=true).",
    "submit_unknown": (
        "Do not resubmit blindly: ask the user to check the provider dashboard or get_account; resubmit "
        "with force_new=true only if nothing was charged."
    ),
}


def sentence(text: str | None) -> str | None:
    """A message as a sentence: trimmed, ending with a full stop (so two of them never run together)."""
    if text is None or not text.strip():
        return text
    text = text.strip()
    return text if text[-1] in ".!?…" else f"{text}."


def resource_uri(job_id: str) -> str:
    return f"video://jobs/{job_id}"


def _eta(job: JobRecord, typical_seconds: float | None, time_scale: float, waiting: bool) -> float | None:
    """Seconds left: a local render's from its plan and measured speed (domain/eta.py); a cloud job's from
    the model's typical time, in provider seconds (the sandbox emulator runs `time_scale` times faster)."""
    if not job.active or waiting:
        return None
    now = time.time()
    plan = RenderPlan.of(job) if job.step == "render" else None
    if plan is not None:
        return render_eta(plan, job.progress, job.updated_at, now)
    if not typical_seconds:
        return None
    elapsed = (now - (job.submitted_at or job.created_at)) * time_scale
    return round(max(5.0, typical_seconds - elapsed) / time_scale, 1)


def job_view(job: JobRecord, *, typical_seconds: float | None = None, time_scale: float = 1.0,
             queue: RenderQueue | None = None, download_url: str | None = None) -> JobView:
    """`queue`: the local jobs waiting for a render slot, so a waiting job says so and where it stands."""
    position = queue.position(job.id) if queue is not None and job.active else None
    eta = _eta(job, typical_seconds, time_scale, waiting=position is not None)
    next_step = _NEXT_STEP[job.status]
    if job.status == "completed" and not job.video_path and job.audio_path:
        next_step = "The audio is ready: use audio_path (or audio_task_id) as the audio of generate_talking_video."
    elif job.status == "completed" and download_url:
        next_step = "The video is ready: give the user download_url (it expires; check_video_status makes a new one)."
    return JobView(
        job_id=job.id,
        model=job.model,
        kind=job.kind,
        status=job.status,
        step=job.step if job.active else None,
        progress=round(min(1.0, max(0.0, job.progress)), 3),
        eta_seconds=eta,
        detail=queue.detail(job.id) if queue is not None and position is not None else None,
        created_at=utc_iso(job.created_at),
        updated_at=utc_iso(job.updated_at),
        video_path=job.video_path,
        video_url=job.output_url,
        download_url=download_url,
        audio_path=job.audio_path,
        audio_task_id=job.state.get("audio_task_id"),
        voice_id=job.request.display.voice_id or (job.request.tts.voice_id if job.request.tts else None),
        warnings=[*job.request.warnings, *(job.state.get("output_warnings") or [])] or None,
        resource_uri=resource_uri(job.id),
        cost_estimate_usd=job.cost_estimate_usd,
        error=sentence(job.error),
        next_step=next_step,
    )
