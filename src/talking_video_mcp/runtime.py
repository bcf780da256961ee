"""Builds and tears down everything a server process needs: ledger, providers, runner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager

import anyio

from talking_video_mcp import provider_http
from talking_video_mcp.downloads import Downloads, load_secret
from talking_video_mcp.jobs.home import check_storage, open_ledger, prepare_home
from talking_video_mcp.jobs.runner import JobRunner
from talking_video_mcp.logs import register_secrets
from talking_video_mcp.providers.registry import build_registry
from talking_video_mcp.services import Services
from talking_video_mcp.settings import Settings
from talking_video_mcp.uploads import Uploads

log = logging.getLogger(__name__)

__all__ = ["app_state", "check_storage"]


@asynccontextmanager
async def app_state(settings: Settings, *, run_jobs: bool = True) -> AsyncIterator[Services]:
    """The server lifespan: start the sandbox emulator if asked, open the ledger, run the job runner."""
    async with AsyncExitStack() as stack:
        if settings.sandbox:
            settings = stack.enter_context(_sandbox(settings))
        register_secrets(settings.secrets())  # no log record of the package shows them (logs.py)
        prepare_home(settings)
        store = open_ledger(settings)
        stack.callback(store.close)
        client = provider_http.make_client(timeout_s=settings.http_timeout_s, client_id=settings.replica_id)
        await stack.enter_async_context(client)
        registry = build_registry(settings, client, store.request_budget)
        secrets = [*settings.secrets(), *registry.keys]
        register_secrets(secrets)
        stack.push_async_callback(registry.aclose)
        downloads = Downloads(settings)
        runner = JobRunner(
            store, registry.providers, job_ids=registry.job_ids(), home=settings.home, client=client,
            secrets=secrets, time_scale=settings.time_scale, render_slots=settings.local_render_slots,
            storage=downloads.storage,
        )
        if run_jobs and settings.local_render_slots == 0:
            log.info("TALKING_VIDEO_RENDER_SLOTS=0: local renders are left to other processes (workers)")
        uploads = Uploads(settings, load_secret(settings), downloads.storage)
        state = Services(settings=settings, store=store, registry=registry, runner=runner, downloads=downloads,
                         uploads=uploads)
        async with anyio.create_task_group() as tg:
            registry.refresh_reads_in(tg)
            if run_jobs:
                tg.start_soon(runner.run)
            try:
                yield state
            finally:
                registry.refresh_reads_in(None)
                tg.cancel_scope.cancel()


@contextmanager
def _sandbox(settings: Settings) -> Iterator[Settings]:
    """TALKING_VIDEO_SANDBOX=1: run the provider emulator in-process and point every cloud model at it
    (build_registry does, through each provider's `for_sandbox`, which also swaps in the sandbox's own key,
    so a real key never leaves for the emulator)."""
    from talking_video_mcp.emulator import EmulatorConfig, run_in_thread  # sandbox only: Starlette, uvicorn
    from talking_video_mcp.providers.registry import plugins

    modules = tuple(plugin.emulator for plugin in plugins() if plugin.emulator)
    with run_in_thread(EmulatorConfig(speed=settings.emulator_speed, route_modules=modules)) as emu:
        yield settings.model_copy(update={"emulator_url": emu.base_url, "time_scale": settings.emulator_speed})
