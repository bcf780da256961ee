"""A provider's per-minute request budget kept in PostgreSQL, so every replica and worker that uses
one API key stays together under the provider's limit (the in-process `rate_budget.RequestBudget` only sees
its own requests).

Each request takes a row in `rate_slots` under an advisory lock on the budget's name; times come from
the database clock, so hosts whose clocks disagree still share one window."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import anyio
import psycopg

from talking_video_mcp.rate_budget import WINDOW_S

log = logging.getLogger(__name__)

Transaction = Callable[..., AbstractContextManager[psycopg.Cursor[dict[str, Any]]]]

# When the database cannot be reached, requests wait this long and try again rather than run unmetered.
_RETRY_S = 2.0


class PgRequestBudget:
    def __init__(self, tx: Transaction, name: str, per_minute: int, *, sleep: Any = anyio.sleep) -> None:
        self.name = name
        self.per_minute = per_minute
        self._tx = tx
        self._sleep = sleep
        self._lock = anyio.Lock()  # this process's background callers queue here, not in the database
        self._block_s = 0.0
        self._urgent = 0  # this process's urgent callers waiting now (other processes do not see them)
        self._free_at = 0.0  # monotonic time the database last said a slot frees (0: free when last asked)

    def block_for(self, seconds: float) -> None:
        """The provider said we are over the limit: every process sends nothing for `seconds`
        (recorded with the next `acquire`, which is never far behind a 429)."""
        self._block_s = max(self._block_s, seconds)

    def free_in(self) -> float:
        """This process's last view of the shared window (asking the database here would make a read wait)."""
        return max(0.0, self._free_at - time.monotonic())

    async def acquire(self, *, urgent: bool = False) -> None:
        if urgent:
            self._urgent += 1
            try:
                await self._loop(urgent=True)
            finally:
                self._urgent -= 1
            return
        async with self._lock:
            await self._loop(urgent=False)

    async def _loop(self, *, urgent: bool) -> None:
        while True:
            if not urgent and self._urgent:
                await self._sleep(0.5)  # this process's urgent requests go first
                continue
            block, self._block_s = self._block_s, 0.0
            try:
                wait = await anyio.to_thread.run_sync(self._take, block)
            except Exception as exc:  # LedgerError: the database is away
                self._block_s = max(self._block_s, block)
                log.warning("request budget %s: %s; waiting %.0fs", self.name, exc, _RETRY_S)
                wait = _RETRY_S
            if wait <= 0:
                return
            self._free_at = time.monotonic() + wait
            await self._sleep(min(wait, 1.0) if self._urgent and not urgent else wait)

    def _take(self, block_s: float) -> float:
        """Take a slot now (returns 0) or say how long to wait before asking again."""
        with self._tx(write=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rate:{self.name}",))
            row = cur.execute("SELECT extract(epoch FROM clock_timestamp())::float8 AS now").fetchone()
            now = float(row["now"]) if row else 0.0
            if block_s > 0:
                cur.execute(
                    "INSERT INTO rate_blocks (budget, until_at) VALUES (%s, %s) ON CONFLICT (budget) "
                    "DO UPDATE SET until_at = GREATEST(rate_blocks.until_at, EXCLUDED.until_at)",
                    (self.name, now + block_s),
                )
            cur.execute("DELETE FROM rate_slots WHERE budget = %s AND sent_at <= %s", (self.name, now - WINDOW_S))
            used = cur.execute(
                "SELECT COUNT(*) AS n, MIN(sent_at) AS oldest FROM rate_slots WHERE budget = %s", (self.name,)
            ).fetchone()
            blocked = cur.execute("SELECT until_at FROM rate_blocks WHERE budget = %s", (self.name,)).fetchone()
            wait = (float(blocked["until_at"]) - now) if blocked else 0.0
            if used and int(used["n"]) >= self.per_minute:
                wait = max(wait, float(used["oldest"]) + WINDOW_S - now)
            if wait > 0:
                return wait
            cur.execute("INSERT INTO rate_slots (budget, sent_at) VALUES (%s, %s)", (self.name, now))
            self._free_at = 0.0
            if used and int(used["n"]) + 1 >= self.per_minute:
                # This was the last free slot: remember when the next one frees, for free_in.
                oldest = float(used["oldest"]) if used["oldest"] is not None else now
                self._free_at = time.monotonic() + max(0.0, oldest + WINDOW_S - now)
        return 0.0
