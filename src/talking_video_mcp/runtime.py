"""Builds and tears down everything a server process needs: ledger, providers, runner."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import SecretStr

from talking_video_mcp import http
from talking_video_mcp.errors import StorageError
from talking_video_mcp.jobs.ledger import Ledger, open_store
from talking_video_mcp.jobs.runner import JobRunner
from talking_video_mcp.logs import register_secrets
from talking_video_mcp.providers.registry import ProviderRegistry, build_registry
from talking_video_mcp.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class AppState:
    settings: Settings
    store: Ledger
    registry: ProviderRegistry
    runner: JobRunner
    sandbox: Any = None


_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def _prepare_home(settings: Settings) -> None:
    probe = settings.home / f".write-test-{os.getpid()}"  # several processes may share one home
    try:
        for path in (settings.home, settings.videos_dir, settings.home / "scratch"):
            path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        full = " (the disk looks full: free some space)" if exc.errno in _DISK_FULL else ""
        raise StorageError(
            f"TALKING_VIDEO_HOME ({settings.home}) is not writable: {exc.strerror or exc}{full}. "
            "Point TALKING_VIDEO_HOME at a writable directory."
        ) from None


def _open_store(settings: Settings) -> Ledger:
    """The ledger; a PostgreSQL one that cannot be reached raises LedgerError (a StorageError) saying so."""
    try:
        return open_store(settings)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(
            f"the job ledger {settings.ledger_path} cannot be opened or written ({exc}). Free disk space, or "
            "point TALKING_VIDEO_HOME at a writable directory (move the old ledger aside if it is damaged)."
        ) from None


def check_storage(settings: Settings) -> None:
    """At start-up, before serving: fail with what to do when TALKING_VIDEO_HOME or the ledger
    cannot be written (a full disk, a read-only or missing directory)."""
    _prepare_home(settings)
    _open_store(settings).close()


@asynccontextmanager
async def app_state(settings: Settings, *, run_jobs: bool = True) -> AsyncIterator[AppState]:
    """The server lifespan: start the sandbox emulator if asked, open the ledger, run the job runner."""
    async with AsyncExitStack() as stack:
        if settings.sandbox:
            settings = stack.enter_context(_sandbox(settings))
        register_secrets(settings.secrets())  # no log record of the package shows them (logs.py)
        _prepare_home(settings)
        store = _open_store(settings)
        stack.callback(store.close)
        client = http.make_client(timeout_s=settings.http_timeout_s, client_id=settings.replica_id)
        await stack.enter_async_context(client)
        registry = build_registry(settings, client, store.request_budget)
        stack.push_async_callback(registry.aclose)
        runner = JobRunner(
            store, registry.providers, home=settings.home, client=client, secrets=settings.secrets(),
            time_scale=settings.time_scale, render_slots=settings.local_render_slots,
        )
        if run_jobs and settings.local_render_slots == 0:
            log.info("TALKING_VIDEO_RENDER_SLOTS=0: local renders are left to other processes (workers)")
        state = AppState(settings=settings, store=store, registry=registry, runner=runner)
        if not run_jobs:
            yield state
            return
        async with anyio.create_task_group() as tg:
            tg.start_soon(runner.run)
            try:
                yield state
            finally:
                tg.cancel_scope.cancel()


@contextmanager
def _sandbox(settings: Settings) -> Iterator[Settings]:
    """TALKING_VIDEO_SANDBOX=1: run the provider emulator in-process and point every cloud model at it.

    The sandbox always uses its own key, so a real key never leaves for the emulator."""
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread

    with run_in_thread(EmulatorConfig(speed=settings.emulator_speed)) as emu:
        key = SecretStr("sandbox-key")
        yield settings.model_copy(
            update={
                "segmind_api_key": key,
                "segmind_base_url": emu.base_url,
                "segmind_upload_url": f"{emu.base_url}/upload-asset",
                "unifically_api_key": key,
                "unifically_base_url": emu.base_url,
                "time_scale": settings.emulator_speed,
            }
        )
