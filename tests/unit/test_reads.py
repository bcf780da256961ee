"""Interactive reads (providers/reads.py): cached with their age, read at once when the request budget has a slot,
and otherwise answered at once with the last known value while a refresh waits in the background."""

from __future__ import annotations

import anyio
import pytest

from talking_video_mcp.errors import ProviderError
from talking_video_mcp.providers.reads import CachedReads

pytestmark = pytest.mark.anyio


class Budget:
    per_minute = 2

    def __init__(self) -> None:
        self.free_after = 0.0

    async def acquire(self, *, urgent: bool = False) -> None:
        return None

    def block_for(self, seconds: float) -> None:
        return None

    def free_in(self) -> float:
        return self.free_after


async def test_a_fresh_value_is_served_from_the_cache_with_its_age() -> None:
    now = [0.0]
    calls = []

    async def fetch() -> int:
        calls.append(now[0])
        return 42

    reads = CachedReads(Budget(), clock=lambda: now[0])
    first = await reads.read("balance", fetch, ttl_s=60)
    now[0] = 30.0
    second = await reads.read("balance", fetch, ttl_s=60)
    assert (first.value, second.value, second.age_s, second.refresh_in_s, calls) == (42, 42, 30.0, None, [0.0])
    assert second.note("balance") is None


async def test_a_spent_budget_answers_at_once_with_the_last_value_and_refreshes_in_the_background() -> None:
    now = [0.0]
    budget = Budget()
    gate = anyio.Event()
    values = iter([1, 2])

    async def fetch() -> int:
        if now[0] > 0:
            await gate.wait()  # the background refresh waits here, as it would in the budget
        return next(values)

    async with anyio.create_task_group() as tg:
        reads = CachedReads(budget, clock=lambda: now[0])
        reads.bind(tg)
        assert (await reads.read("balance", fetch, ttl_s=60)).value == 1
        now[0], budget.free_after = 100.0, 35.0
        with anyio.fail_after(0.5):  # never waits on the budget
            stale = await reads.read("balance", fetch, ttl_s=60)
        assert (stale.value, stale.age_s, stale.refresh_in_s) == (1, 100.0, 35.0)
        assert stale.note("balance") == ("The balance is as read 100 s ago: the provider request budget (2 a minute) "
                                         "is in use by running jobs, so a new reading comes in about 35 s.")
        gate.set()
        await anyio.sleep(0.05)
        fresh = await reads.read("balance", fetch, ttl_s=60)
        assert (fresh.value, fresh.refresh_in_s) == (2, None)


async def test_nothing_read_yet_says_when_it_will_be() -> None:
    budget = Budget()
    budget.free_after = 20.0
    gate = anyio.Event()

    async def fetch() -> int:
        await gate.wait()
        return 1

    async with anyio.create_task_group() as tg:
        reads = CachedReads(budget)
        reads.bind(tg)
        with anyio.fail_after(0.5):
            first = await reads.read("templates:voices", fetch, ttl_s=600)
        assert first.value is None and first.refresh_in_s == 20.0
        assert "has not been read yet" in (first.note("voice list") or "")
        tg.cancel_scope.cancel()


async def test_a_failed_read_says_why_and_is_tried_again_next_time() -> None:
    attempts = []

    async def fetch() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise ProviderError("Segmind rejected the API key (HTTP 401)")
        return 7

    reads = CachedReads(Budget())
    failed = await reads.read("balance", fetch, ttl_s=60)
    assert failed.value is None and failed.error == "Segmind rejected the API key (HTTP 401)"
    assert failed.refresh_in_s is None
    assert (await reads.read("balance", fetch, ttl_s=60)).value == 7


async def test_a_slow_provider_is_not_blamed_on_the_budget() -> None:
    gate = anyio.Event()

    async def fetch() -> int:
        await gate.wait()
        return 5

    async with anyio.create_task_group() as tg:
        reads = CachedReads(Budget(), wait_s=0.1)
        reads.bind(tg)
        slow = await reads.read("balance", fetch, ttl_s=60)
        assert slow.value is None and slow.slow and slow.refresh_in_s is None
        assert "has not answered within" in (slow.note("balance") or "")
        gate.set()
        await anyio.sleep(0.05)
        assert (await reads.read("balance", fetch, ttl_s=60)).value == 5
