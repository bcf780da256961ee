"""A token bucket on each signed-in user's tool calls, so one user's client in a loop cannot take a team's
server for itself. Without sign-in (stdio, the static token) there is one user, and it does not apply.

The buckets live in the process: with replicas behind a load balancer, each holds its own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from talking_video_mcp.errors import TooBusy


class CallRates:
    """A token bucket per user: `per_minute` calls a minute, in bursts of up to `per_minute` (a client listing
    everything at start-up), refilled continuously."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, user: str) -> None:
        """Spend one call of `user`'s, or raise TooBusy saying when the next one is free."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(user, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * self.rate)
            if tokens < 1.0:
                self._buckets[user] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise TooBusy(f"Too many calls: each user may make {self.per_minute} a minute on this server; try "
                              f"again in {wait} s.")
            self._buckets[user] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # users long idle hold full buckets: forget them
                self._buckets = {u: b for u, b in self._buckets.items() if now - b[1] < 60.0}
