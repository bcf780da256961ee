"""A cap on each signed-in user's active jobs (a fair share of a team's server; call_rates.py bounds their calls).
Without sign-in (stdio, the static token) there is one user, and the cap does not apply."""

from __future__ import annotations

import math
from collections.abc import Sequence

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.errors import TooBusy
from talking_video_mcp.tools.views import job_view


def check_active(owner: str, jobs: Sequence[JobRecord], limit: int, *, time_scale: float = 1.0) -> None:
    """Refuse a new job while `owner` already has `limit` active ones, saying when one is expected to finish."""
    mine = [job for job in jobs if job.owner == owner and job.active]
    if len(mine) < limit:
        return
    etas = [eta for job in mine if (eta := job_view(job, time_scale=time_scale).eta_seconds) is not None]
    when = (f"try again in about {math.ceil(min(etas))} s, when the first is expected to finish" if etas
            else "try again when one of them finishes (check_video_status with wait_seconds waits for it)")
    raise TooBusy(f"You already have {len(mine)} jobs in progress, the most one user may have at once on this server; "
                  f"{when}, or cancel one with cancel_job. Nothing was submitted.")
