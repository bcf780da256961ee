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
    """Requests per minute for one API key: `acquire` before each request, `block_for` after a 429."""

    async def acquire(self) -> None: ...

    def block_for(self, seconds: float) -> None: ...


class RequestBudget:
    """A sliding 60-second window shared by every job that uses one API key.

    Providers publish per-minute limits (Segmind: 5 free, 50 pro); waiting here keeps all
    jobs together under the limit instead of each one discovering it through 429s."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep = anyio.sleep):
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = anyio.Lock()
        self._blocked_until = 0.0

    def block_for(self, seconds: float) -> None:
        """The provider said we are over the limit: send nothing for a while."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= WINDOW_S:
                    self._sent.popleft()
                wait = self._blocked_until - now
                if len(self._sent) >= self.per_minute:
                    wait = max(wait, WINDOW_S - (now - self._sent[0]))
                if wait <= 0:
                    self._sent.append(now)
                    return
                await self._sleep(wait)
