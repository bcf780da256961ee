"""The services a tool call uses: the ledger, the provider registry and the job runner, with the
settings they were made from. Built by the composition root (runtime.py), which the tools never import.

An MCP server builds them lazily (`LazyServices`): on the first call that needs them, or a moment after
start-up, so `initialize` and `tools/list` are answered before the job machinery is imported and opened."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import anyio

from talking_video_mcp.call_rates import CallRates
from talking_video_mcp.errors import TalkingVideoError

if TYPE_CHECKING:
    from talking_video_mcp.domain.records import Owner
    from talking_video_mcp.downloads import Downloads
    from talking_video_mcp.jobs.ledger import Ledger
    from talking_video_mcp.jobs.runner import JobRunner
    from talking_video_mcp.providers.registry import ProviderRegistry
    from talking_video_mcp.settings import Settings
    from talking_video_mcp.uploads import Uploads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Ledger
    registry: ProviderRegistry
    runner: JobRunner
    downloads: Downloads
    # The signed-in user of this request (OAuth); None: the one implicit user of stdio and static-token mode.
    owner: Owner | None = None
    # create_upload's tickets and files (uploads.py); None where nothing made them (tests' hand-made services).
    uploads: Uploads | None = None

    @property
    def owner_id(self) -> str | None:
        return self.owner.id if self.owner else None

    def for_owner(self, owner: Owner | None) -> Services:
        """These services as one request's user sees them."""
        return replace(self, owner=owner)


Opener = Callable[["Settings"], AbstractAsyncContextManager[Services]]


class LazyServices:
    """Services opened by `run` (in the server's task group) when first asked for, or after `grace_s`."""

    def __init__(self, settings: Settings, *, grace_s: float = 0.25) -> None:
        self.settings = settings
        self.grace_s = grace_s
        self.call_rates = CallRates(settings.user_calls_per_minute)
        self._wake = anyio.Event()
        self._closing = False
        self._ready = anyio.Event()
        self._services: Services | None = None
        self._error: TalkingVideoError | None = None

    async def get(self) -> Services:
        self._wake.set()
        await self._ready.wait()
        if self._services is None:
            raise self._error or TalkingVideoError("the server is shutting down; call again after it restarts.")
        return self._services

    async def for_caller(self) -> Services:
        """The services as the user of the request being answered sees them: with OAuth sign-in, only their own
        jobs (another user's job is not found); over stdio and the static token, every job."""
        # identity loads the job record module: kept off the start-up path, as the services themselves are.
        from talking_video_mcp.identity import current_owner

        return (await self.get()).for_owner(current_owner())

    def close(self) -> None:
        """Let `run` leave: the services close (runner stopped, leases handed back) outside any cancel scope."""
        self._closing = True
        self._wake.set()

    async def run(self, opener: Opener) -> None:
        with anyio.move_on_after(self.grace_s):
            await self._wake.wait()
        try:
            if not self._closing:
                async with opener(self.settings) as services:
                    self._services = services
                    self._ready.set()
                    while not self._closing:
                        self._wake = anyio.Event()
                        await self._wake.wait()
        except TalkingVideoError as exc:  # the home folder or the ledger went away since start-up
            log.error("the job services could not be opened: %s", exc)
            self._error = exc
        finally:
            self._services = None
            self._ready.set()
