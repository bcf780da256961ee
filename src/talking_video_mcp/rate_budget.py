"""Requests per minute for one provider key, counted in this process (PostgreSQL ledgers share theirs:
jobs/pg_budget.py). No HTTP here, so the ledger can hand out budgets without loading httpx."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio

Sleep = Callable[[float], Awaitable[None]]
# The provider counts a request when it arrives, which under load is later than when we take its slot:
# a second of margin keeps the window from sliding open early (measured: 10×429 at 60 s without it).
WINDOW_S = 61.0


class Budget(Protocol):
    """Requests per minute for one API key: `acquire` before each request, `block_for` after a 429.

    `urgent` requests (a refresh an interactive read asked for) go before background polls: while one
    waits, polls leave the next free slot to it. `free_in` says, without waiting, how soon an urgent request
    could go (0: now), so an interactive read can answer at once instead of queueing."""

    per_minute: int

    async def acquire(self, *, urgent: bool = False) -> None: ...

    def block_for(self, seconds: float) -> None: ...

    def free_in(self) -> float: ...


class RequestBudget:
    """A sliding 60-second window shared by every job that uses one API key.

    Providers publish per-minute limits (e.g. 5 a minute on a free plan, 50 on a paid one); waiting here keeps all
    jobs together under the limit instead of each one discovering it through 429s."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep = anyio.sleep):
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = anyio.Lock()  # background requests queue here, in order; urgent ones do not
        self._blocked_until = 0.0
        self._urgent = 0  # urgent requests waiting now: background ones leave them the next free slots

    def block_for(self, seconds: float) -> None:
        """The provider said we are over the limit: send nothing for a while."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def _wait(self, keep_free: int) -> float:
        """Seconds until a slot is free with `keep_free` slots left over for urgent requests (0: now)."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= WINDOW_S:
            self._sent.popleft()
        wait = self._blocked_until - now
        taken = len(self._sent) + keep_free
        if taken >= self.per_minute:
            # The slot that frees first is the one sent `taken - per_minute` places after the oldest.
            index = min(taken - self.per_minute, len(self._sent) - 1)
            wait = max(wait, WINDOW_S - (now - self._sent[index]) if index >= 0 else WINDOW_S)
        return wait

    def free_in(self) -> float:
        return max(0.0, self._wait(0))

    async def acquire(self, *, urgent: bool = False) -> None:
        if urgent:
            self._urgent += 1
            try:
                await self._take(lambda: 0)
            finally:
                self._urgent -= 1
            return
        async with self._lock:
            await self._take(lambda: self._urgent)

    async def _take(self, keep_free: Callable[[], int]) -> None:
        while True:
            wait = self._wait(keep_free())
            if wait <= 0:
                self._sent.append(self._clock())
                return
            # Wake at least once a second: an urgent request that came and went may have left a slot free.
            await self._sleep(min(wait, 1.0) if keep_free() else wait)
