"""Adaptive poll schedule: few requests early, dense around the expected finish, then back off.

A 5-minute job costs about ten status requests and is noticed within ~10 s of finishing."""

from __future__ import annotations

FIRST_CHECK_S = 5.0
DENSE_FROM = 0.8
DENSE_INTERVAL_S = 10.0
LATE_FROM = 1.6
MAX_INTERVAL_S = 60.0


def next_poll_delay(elapsed_s: float, typical_s: float) -> float:
    """Seconds (provider time) to wait before the next status request."""
    if elapsed_s < FIRST_CHECK_S:
        return FIRST_CHECK_S - elapsed_s
    dense_start = typical_s * DENSE_FROM
    if elapsed_s < dense_start - 1.0:
        return dense_start - elapsed_s
    if elapsed_s < typical_s * LATE_FROM:
        return DENSE_INTERVAL_S
    overdue = elapsed_s / typical_s - LATE_FROM
    return min(MAX_INTERVAL_S, DENSE_INTERVAL_S * (1.5 + overdue * 4))


def progress_estimate(elapsed_s: float, typical_s: float) -> float:
    """A monotone 0..0.95 estimate from elapsed time; providers report no percentage."""
    if typical_s <= 0:
        return 0.5
    return round(min(0.95, 0.05 + 0.9 * elapsed_s / typical_s), 3)
