"""The per-key request budget never lets more than N requests into any 60 s window."""

from __future__ import annotations

import pytest

from talking_video_mcp.provider_http import RequestBudget

pytestmark = pytest.mark.anyio


async def test_budget_spaces_requests_in_a_sliding_window() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = RequestBudget(5, clock=lambda: now[0], sleep=sleep)
    sent = []
    for _ in range(17):
        await budget.acquire()
        sent.append(now[0])
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u - t < 60.0) <= 5
    assert sent[4] == 0.0 and sent[5] >= 60.0


async def test_block_for_pauses_everything() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = RequestBudget(50, clock=lambda: now[0], sleep=sleep)
    budget.block_for(12.5)
    await budget.acquire()
    assert now[0] == pytest.approx(12.5)


async def test_the_next_slot_opens_when_the_oldest_request_leaves_the_window() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = RequestBudget(5, clock=lambda: now[0], sleep=sleep)
    for t in (0.0, 10.0, 20.0, 30.0, 40.0):
        now[0] = t
        await budget.acquire()
    now[0] = 50.0
    await budget.acquire()  # the sixth waits for the first (sent at 0) to leave the window, and no longer
    assert now[0] == pytest.approx(61.0)
    await budget.acquire()  # the seventh waits for the second (sent at 10)
    assert now[0] == pytest.approx(71.0)
    now[0] = 80.5  # the third (sent at 20) leaves the window half a second from now: that short wait is kept
    await budget.acquire()
    assert now[0] == pytest.approx(81.0)


async def test_an_urgent_request_takes_the_next_free_slot_before_a_waiting_background_one() -> None:
    import anyio

    now = [0.0]
    budget = RequestBudget(2, clock=lambda: now[0], sleep=lambda _s: anyio.sleep(0.005))
    await budget.acquire()
    now[0] = 30.0
    await budget.acquire()
    now[0] = 40.0
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await budget.acquire(urgent=urgent)
        order.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(take, "poll", False)  # waits first, for the slot that frees at 61
        await anyio.sleep(0.05)
        tg.start_soon(take, "urgent", True)
        await anyio.sleep(0.05)
        assert order == []
        now[0] = 62.0  # one slot frees: the urgent request takes it, the poll waits on
        await anyio.sleep(0.1)
        assert order == ["urgent"]
        now[0] = 92.0  # the next slot (sent at 30) frees: now the poll goes
        await anyio.sleep(0.1)
        assert order == ["urgent", "poll"]


async def test_free_in_says_how_soon_a_slot_frees() -> None:
    now = [100.0]
    budget = RequestBudget(2, clock=lambda: now[0])
    assert budget.free_in() == 0
    await budget.acquire()
    now[0] = 110.0
    await budget.acquire()
    now[0] = 120.0
    assert budget.free_in() == pytest.approx(41.0)  # the first leaves the 61 s window at 161
    budget.block_for(50)
    assert budget.free_in() == pytest.approx(50.0)
