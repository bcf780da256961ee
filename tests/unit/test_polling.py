"""The poll schedule: few status requests per job, and a finished job is noticed quickly."""

from __future__ import annotations

import pytest

from talking_video_mcp.providers.polling import next_poll_delay


def simulate(actual_s: float, typical_s: float) -> tuple[int, float]:
    """(status requests, seconds between the provider finishing and us noticing)."""
    t, polls = 0.0, 0
    while True:
        t += next_poll_delay(t, typical_s)
        polls += 1
        if t >= actual_s:
            return polls, t - actual_s
        assert polls < 100


def test_a_five_minute_job_is_cheap_and_noticed_fast() -> None:
    polls, lag = simulate(306.0, 306.0)
    assert polls <= 12 and lag <= 2.0


@pytest.mark.parametrize("factor", [0.6, 0.8, 0.9, 1.0, 1.04, 1.1, 1.2])
def test_jobs_near_the_typical_length(factor: float) -> None:
    polls, lag = simulate(306.0 * factor, 306.0)
    assert polls <= 15
    assert lag <= 0.07 * 306.0


def test_delays_are_positive_and_bounded() -> None:
    for t in range(0, 2000, 7):
        delay = next_poll_delay(float(t), 195.0)
        assert 0 < delay <= max(60.0, 0.5 * 195.0)
