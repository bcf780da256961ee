"""Adaptive poll schedule: few requests early, dense around the expected finish, then back off.

The dense polls are lined up so that one lands just after the typical finish: a job of typical
length costs about ten status requests and is noticed about a second after it ends."""

from __future__ import annotations

import math

FIRST_CHECK_S = 5.0
EARLY_CHECKS = (0.5, 0.65)  # fractions of the typical time: catch jobs that finish early
DENSE_FROM = 0.8
DENSE_INTERVAL_S = 10.0
FINISH_MARGIN_S = 1.0
LATE_FROM = 1.05
LATE_INTERVAL_S = 20.0
BACKOFF_FROM = 1.6
MAX_INTERVAL_S = 60.0


def next_poll_delay(elapsed_s: float, typical_s: float) -> float:
    """Seconds (provider time) to wait before the next status request."""
    if elapsed_s < FIRST_CHECK_S:
        return FIRST_CHECK_S - elapsed_s
    for fraction in EARLY_CHECKS:
        if elapsed_s < typical_s * fraction - 0.5:
            return typical_s * fraction - elapsed_s
    anchor = typical_s + FINISH_MARGIN_S
    if elapsed_s < typical_s * LATE_FROM:
        # Polls at anchor - 10k, never before DENSE_FROM of the typical time.
        earliest = max(elapsed_s, typical_s * DENSE_FROM)
        k = math.floor((anchor - earliest) / DENSE_INTERVAL_S)
        target = anchor - k * DENSE_INTERVAL_S
        if target <= elapsed_s + 0.5:
            target += DENSE_INTERVAL_S
        return target - elapsed_s
    if elapsed_s < typical_s * BACKOFF_FROM:
        return LATE_INTERVAL_S
    overdue = elapsed_s / typical_s - BACKOFF_FROM
    return min(MAX_INTERVAL_S, LATE_INTERVAL_S * (1.0 + overdue * 4))


def progress_estimate(elapsed_s: float, typical_s: float) -> float:
    """A monotone 0..0.95 estimate from elapsed time; providers report no percentage."""
    if typical_s <= 0:
        return 0.5
    return round(min(0.95, 0.05 + 0.9 * elapsed_s / typical_s), 3)
