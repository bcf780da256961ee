"""The order in which local jobs get a render slot: owners in turn, so one user's batch never starves another
user's single job (the runner dispatches in this order; check_video_status's place in line reads it too)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from talking_video_mcp.domain.records import JobRecord


def fair_order(jobs: Sequence[JobRecord], rendering: Mapping[str, int], served_at: Mapping[str, float] | None = None
               ) -> list[JobRecord]:
    """Jobs waiting for a render slot, in the order slots go to them: owners take turns (the one rendering fewest
    now first, then the one whose last render started longest ago), and each owner's own jobs keep their order,
    so one user's batch never starves another user's single job."""
    turn: Counter[str] = Counter()
    keyed = []
    for index, job in enumerate(jobs):
        owner = job.owner or ""
        keyed.append(((turn[owner] + rendering.get(owner, 0), (served_at or {}).get(owner, float("-inf")), index), job))
        turn[owner] += 1
    return [job for _, job in sorted(keyed, key=lambda pair: pair[0])]
