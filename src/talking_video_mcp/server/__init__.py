"""Wires the tools to MCP. Each module here registers its own tools (names, descriptions, annotations);
the logic lives in `talking_video_mcp.tools`, and the services come from the lifespan (runtime.py), opened
lazily so that `initialize` and `tools/list` do not wait for them."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings

from talking_video_mcp import __version__, ui
from talking_video_mcp.jobs.home import prepare_home
from talking_video_mcp.logs import register_secrets
from talking_video_mcp.server import resources
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.services import LazyServices, Services
from talking_video_mcp.settings import Settings

INSTRUCTIONS = (
    "Makes talking-head videos. Typical flow: list_voices and list_avatar_presets → generate_talking_video "
    "(returns a job at once; cloud jobs take 3–6 minutes, local ones about as long as the speech) → "
    "check_video_status with wait_seconds until completed → give the user video_path (over HTTP: download_url). "
    "Jobs are never paid twice: re-calling with the same arguments returns the same job."
)
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def build_server(settings: Settings | None = None, *, gallery: bool = False, auth: AuthSettings | None = None,
                 token_verifier: TokenVerifier | None = None) -> CompactServer:
    """The MCP server; `gallery=True` (the HTTP transport) also serves the job gallery at `/`; `auth` and
    `token_verifier`: OAuth sign-in on the HTTP transport (http_app.py)."""
    settings = settings or Settings()
    # The image-to-video and ad tools only one provider serves (TODO issue 23: declared by its package).
    higgsfield = settings.is_set("UNIFICALLY_API_KEY") or settings.sandbox
    state_ref = ui.StateRef()  # the gallery's HTTP routes read the lifespan's Services through it

    @asynccontextmanager
    async def lifespan(_: object) -> AsyncIterator[LazyServices]:
        register_secrets(settings.secrets())  # from the first log line, before the services open (logs.py)
        prepare_home(settings)  # a home that cannot be written stops the start, as it says what to do
        lazy = LazyServices(settings)
        async with anyio.create_task_group() as tg:
            tg.start_soon(lazy.run, opener)
            with state_ref.bind(lazy):
                try:
                    yield lazy
                finally:
                    lazy.close()

    level = settings.log_level.upper()
    mcp = CompactServer(
        "talking-video-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
        extensions=[ui.player_app(_origins(settings) if gallery else None)], auth=auth, token_verifier=token_verifier,
        log_level=level if level in _LEVELS else "INFO",  # type: ignore[arg-type]
    )

    def register() -> None:
        # The tools' modules (argument and result models, the tool functions below them) load here, on the
        # first call or a moment after start-up: about 25 ms of imports a shipped tools/list does not need.
        from talking_video_mcp.server import catalog_tools, job_tools, upload_tools, video_tools

        video_tools.register(mcp, higgsfield=higgsfield)
        job_tools.register(mcp)
        catalog_tools.register(mcp, higgsfield=higgsfield)
        if gallery:
            upload_tools.register(mcp)

    mcp.defer_tools(("higgsfield" if higgsfield else "local") + ("+http" if gallery else ""), register)
    resources.register(mcp, state_ref)
    def opener(settings: Settings) -> AbstractAsyncContextManager[Services]:
        mcp.register_tools()
        # The composition root loads httpx, the providers, the ledger and the runner: about 50 ms of imports
        # (measured, benchmarks/bench_cold_start.py), kept until after the first answers (services.LazyServices).
        from talking_video_mcp.runtime import app_state

        return app_state(settings)

    if gallery:
        _add_http_routes(mcp, state_ref)
    return mcp


def _origins(settings: Settings) -> list[str] | None:
    """The server's own origin, where the player app uploads photos, when it is known (TALKING_VIDEO_PUBLIC_URL)."""
    if not settings.public_url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(settings.public_url)
    return [f"{parts.scheme}://{parts.netloc}"]


def _add_http_routes(mcp: CompactServer, state_ref: ui.StateRef) -> None:
    """The gallery, download links and upload URLs (HTTP only: off the stdio start-up path)."""
    from talking_video_mcp.ui.downloads import add_download_routes
    from talking_video_mcp.ui.gallery import add_gallery_routes
    from talking_video_mcp.ui.uploads import add_upload_routes

    add_gallery_routes(mcp, state_ref)
    add_download_routes(mcp, state_ref)
    add_upload_routes(mcp, state_ref)
