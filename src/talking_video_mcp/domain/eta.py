"""How long a local render has left, and where a job waiting for a render slot stands in line.

The render writes its plan into the job's state when it starts (`RenderPlan`: the audio length and the time
this machine is expected to take, from its measured rate); its progress moves from RENDER_START to
RENDER_START + RENDER_SPAN as frames are drawn. The estimate starts from the plan and moves over to the speed
actually measured in this render as frames come in, so a slow or busy machine corrects it within a few
percent of progress. The speed of the last tenth of the frames counts most: the load of a shared machine
changes during a long render."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from talking_video_mcp.domain.fair import fair_order
from talking_video_mcp.domain.records import JobRecord

RENDER_START = 0.1  # job progress when the first frame is drawn
RENDER_SPAN = 0.88  # job progress the frames cover (the rest: speech before, saving after)
PLAN_KEY = "render"  # where the plan lives in the job's state
# The measured speed counts fully once this much of the render has been timed.
_TRUST_AFTER = 0.08
# After the last frame the video is finished (encoder flushed, the audio muxed in): a few % of the time the
# frames took (measured for a 10-minute video, benchmarks/bench_eta.py: 4 s after 70 s of frames on a busy
# machine, about 1 s after 40 s on a quiet one; this share keeps both within ±25 % at 75 % of the render).
_SAVE_SHARE = 0.04
RECENT_WINDOW = 0.1  # the share of the frames the recent speed is measured over
_RECENT_WEIGHT = 0.7


@dataclass(frozen=True)
class RenderPlan:
    audio_s: float
    expected_s: float
    started_at: float
    first_at: float | None = None  # when the first frames were timed (setup is over)
    first_fraction: float | None = None
    mark_at: float | None = None  # a point about RECENT_WINDOW of the frames back, for the recent speed
    mark_fraction: float | None = None

    @classmethod
    def of(cls, job: JobRecord) -> RenderPlan | None:
        raw = job.state.get(PLAN_KEY)
        if not isinstance(raw, Mapping):
            return None
        try:
            optional = {k: None if raw.get(k) is None else float(raw[k])
                        for k in ("first_at", "first_fraction", "mark_at", "mark_fraction")}
            return cls(audio_s=float(raw["audio_s"]), expected_s=float(raw["expected_s"]),
                       started_at=float(raw["started_at"]), **optional)
        except (KeyError, TypeError, ValueError):
            return None

    def as_state(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def render_fraction(progress: float) -> float:
    """The share of frames drawn, from the job's progress."""
    return min(1.0, max(0.0, (progress - RENDER_START) / RENDER_SPAN))


def render_eta(plan: RenderPlan, progress: float, measured_at: float, now: float) -> float:
    """Seconds left: the plan's estimate for the frames left, blended into the speed measured so far.

    `measured_at` is when `progress` was recorded (the job's updated_at); time since then is taken off."""
    done = render_fraction(progress)
    left = plan.expected_s * (1.0 - done)
    if plan.first_at is not None and plan.first_fraction is not None and measured_at > plan.first_at:
        timed = done - plan.first_fraction
        if timed > 0:
            frames_s = (measured_at - plan.first_at) / timed  # all the frames, at the speed measured so far
            if plan.mark_at is not None and plan.mark_fraction is not None and done > plan.mark_fraction \
                    and measured_at > plan.mark_at:
                recent_s = (measured_at - plan.mark_at) / (done - plan.mark_fraction)
                frames_s = _RECENT_WEIGHT * recent_s + (1.0 - _RECENT_WEIGHT) * frames_s
            measured = (1.0 - done + _SAVE_SHARE) * frames_s
            weight = min(1.0, timed / _TRUST_AFTER)
            left = weight * measured + (1.0 - weight) * left
    elif plan.first_at is None:
        # Still setting up (reading the photo, finding the face): the whole plan is ahead, less what has passed.
        left = max(plan.expected_s * 0.9, plan.expected_s - (now - plan.started_at))
        return round(max(1.0, left), 1)
    return round(max(1.0, left - max(0.0, now - measured_at)), 1)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class RenderQueue:
    """Local jobs waiting for a render slot, first in line first, and how many renders run now."""

    waiting: tuple[str, ...]
    running: int

    @classmethod
    def of(cls, active: Sequence[JobRecord], heavy_steps: Mapping[str, frozenset[str]]) -> RenderQueue:
        """From the active jobs in the order the runner takes them (the ledger's `active_jobs`)."""
        heavy = [j for j in active if j.step in heavy_steps.get(j.provider, frozenset())]
        rendering = Counter(j.owner or "" for j in heavy if j.status == "processing")
        waiting = fair_order([j for j in heavy if j.status == "queued"], rendering)
        return cls(waiting=tuple(j.id for j in waiting),
                   running=sum(1 for j in heavy if j.status == "processing"))

    def position(self, job_id: str) -> int | None:
        """1 for the next job to get a slot; None when the job is not waiting for one."""
        return self.waiting.index(job_id) + 1 if job_id in self.waiting else None

    def detail(self, job_id: str) -> str | None:
        place = self.position(job_id)
        if place is None:
            return None
        ahead = f"{_ordinal(place)} in line, {place - 1} ahead of it" if place > 1 else "it is next in line"
        if not self.running:  # nothing renders yet: a slot is about to take it, or the renders are left to workers
            return f"Waiting for a renderer to take it ({ahead})."
        running = f"{self.running} render{'s' if self.running != 1 else ''} running"
        return f"Waiting for a render slot ({running}; {ahead})."
