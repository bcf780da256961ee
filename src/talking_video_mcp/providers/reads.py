"""Interactive reads of a provider (balances, catalogues) that never queue behind background polling.

A job's polls wait in the key's request budget as long as they must; a person asking for the balance must not
(with a budget of 2 requests a minute and a job running, each get_account used to take a minute). So each read is
cached with its time; a stale one is read again only when the budget has a slot free now, and otherwise the
answer is the last known value at once, with when a new one comes: the refresh then waits in the budget in the
background, ahead of the polls (`urgent`), and the next call finds it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

from talking_video_mcp.errors import ProviderError
from talking_video_mcp.rate_budget import Budget

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long an interactive call waits for a read the budget lets go at once (the provider's own latency).
READ_WAIT_S = 5.0


@dataclass(frozen=True)
class Reading(Generic[T]):
    """The last known value (None: never read), how old it is, and when a newer one comes."""

    value: T | None
    age_s: float | None
    refresh_in_s: float | None = None
    error: str | None = None
    per_minute: int = 0
    slow: bool = False  # the budget let the read go, but the provider has not answered yet

    def note(self, what: str) -> str | None:
        """One sentence for the answer when the value is not a fresh reading; None when it is."""
        if self.slow:
            have = "" if self.value is None else f" (this one is {round(self.age_s or 0)} s old)"
            return (f"The {what} is being read{have}: the provider has not answered within "
                    f"{READ_WAIT_S:g} s; ask again in a moment.")
        if self.refresh_in_s is None:
            return None
        when = f"about {max(1, round(self.refresh_in_s))} s"
        budget = (f"the provider request budget ({self.per_minute} a minute) is in use by running jobs"
                  if self.per_minute else "the provider request budget is in use by running jobs")
        if self.value is None:
            return f"The {what} has not been read yet: {budget}, so it is read in {when}; ask again then."
        age = f"{round(self.age_s or 0)} s"
        return f"The {what} is as read {age} ago: {budget}, so a new reading comes in {when}."


@dataclass
class _Entry:
    value: Any = None
    at: float | None = None  # monotonic time of the last successful read
    error: str | None = None
    refreshing: anyio.Event | None = None


class CachedReads:
    """The cache of one API key's interactive reads. `bind` a task group (the server's lifespan) so a read the
    budget cannot take now is done in the background; without one it is left to the next call."""

    def __init__(self, budget: Budget, *, clock: Callable[[], float] = time.monotonic,
                 wait_s: float = READ_WAIT_S) -> None:
        self._budget = budget
        self._clock = clock
        self._wait_s = wait_s
        self._entries: dict[str, _Entry] = {}
        self._tg: TaskGroup | None = None

    def bind(self, tg: TaskGroup | None) -> None:
        self._tg = tg

    async def read(self, key: str, fetch: Callable[[], Awaitable[T]], *, ttl_s: float) -> Reading[T]:
        """The value of `key`: cached while younger than `ttl_s`, else read now if the budget has a slot free,
        else the last known one (with when the next comes)."""
        entry = self._entries.setdefault(key, _Entry())
        now = self._clock()
        if entry.at is not None and entry.error is None and now - entry.at < ttl_s:
            return self._reading(entry)
        free_in = self._budget.free_in()
        if entry.refreshing is None:
            entry.refreshing = anyio.Event()
            if self._tg is not None:
                self._tg.start_soon(self._refresh, entry, fetch)
            elif free_in <= 0:
                with anyio.move_on_after(self._wait_s):
                    await self._refresh(entry, fetch)
            else:
                entry.refreshing = None  # nobody to refresh it in the background: the next call will
        done = entry.refreshing
        if done is not None and free_in <= 0:
            with anyio.move_on_after(self._wait_s):
                await done.wait()
        if entry.at is not None and entry.at >= now:
            return self._reading(entry)
        if entry.refreshing is None and entry.error is not None:
            return self._reading(entry)  # just read, and it failed: say why
        if free_in <= 0 and entry.refreshing is not None:
            return self._reading(entry, slow=True)
        return self._reading(entry, refresh_in=max(free_in, self._budget.free_in(), 1.0))

    async def _refresh(self, entry: _Entry, fetch: Callable[[], Awaitable[Any]]) -> None:
        try:
            value = await fetch()
        except (ProviderError, ValueError, TypeError) as exc:
            entry.error = str(exc)
        except Exception as exc:  # a background task must not take the server down with it
            log.warning("a provider read failed: %s", type(exc).__name__, exc_info=True)
            entry.error = f"the read failed ({type(exc).__name__})"
        else:
            entry.value, entry.at, entry.error = value, self._clock(), None
        finally:
            done, entry.refreshing = entry.refreshing, None
            if done is not None:
                done.set()

    def _reading(self, entry: _Entry, *, refresh_in: float | None = None, slow: bool = False) -> Reading[Any]:
        age = None if entry.at is None else max(0.0, self._clock() - entry.at)
        return Reading(value=entry.value, age_s=None if age is None else round(age, 1), refresh_in_s=refresh_in,
                       error=entry.error, per_minute=self._budget.per_minute, slow=slow)
