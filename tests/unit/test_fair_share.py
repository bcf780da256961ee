"""Fair shares between signed-in users: render slots taken in turn by owner, the per-user call bucket, and the
cap on active jobs, each refusal saying when to try again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from talking_video_mcp.call_rates import CallRates
from talking_video_mcp.domain.fair import fair_order
from talking_video_mcp.errors import TooBusy


def job(owner: str | None, n: int) -> Any:
    return SimpleNamespace(id=f"{owner}-{n}", owner=owner)


def test_owners_take_turns_and_keep_their_own_order() -> None:
    waiting = [job("a", i) for i in range(5)] + [job("b", 0), job("c", 0), job("b", 1)]
    assert [j.id for j in fair_order(waiting, {})] == ["a-0", "b-0", "c-0", "a-1", "b-1", "a-2", "a-3", "a-4"]


def test_an_owner_rendering_now_waits_for_the_others() -> None:
    waiting = [job("a", 1), job("a", 2), job("b", 0)]
    assert fair_order(waiting, {"a": 1})[0].id == "b-0"


def test_among_equals_the_owner_served_longest_ago_goes_first() -> None:
    waiting = [job("a", 1), job("b", 0)]
    assert fair_order(waiting, {}, {"a": 10.0, "b": 5.0})[0].id == "b-0"
    assert fair_order(waiting, {}, {"a": 10.0})[0].id == "b-0"  # never served: first


def test_the_call_bucket_refuses_past_the_rate_and_says_when() -> None:
    now = [0.0]
    rates = CallRates(60, clock=lambda: now[0])
    for _ in range(60):
        rates.take("alpha")
    with pytest.raises(TooBusy, match=r"each user may make 60 a minute on this server; try again in 1 s\.$"):
        rates.take("alpha")
    rates.take("beta")  # another user's bucket is their own
    now[0] = 1.0
    rates.take("alpha")  # one more a second
    with pytest.raises(TooBusy):
        rates.take("alpha")
