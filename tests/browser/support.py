"""Shared by the UI tests: the HTTP server in a thread, ledger rows made to order, headless Chromium."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talking_video_mcp.domain.records import NewJob
from talking_video_mcp.emulator.media import mp4_bytes
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.models import ACTIVE_STATUSES
from talking_video_mcp.settings import Settings
from tests.helpers import stored_request, wait_for_job
from tests.servers import app_in_thread

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
HARNESS = Path(__file__).resolve().parent / "harness"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--mute-audio",
]


def chromium_path() -> str | None:
    explicit = os.environ.get("TALKING_VIDEO_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright; no `playwright install` needed)"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium, or set TALKING_VIDEO_CHROMIUM)"
    return None


@dataclass
class HttpServer:
    base_url: str
    settings: Settings

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"


@contextmanager
def http_server(settings: Settings) -> Iterator[HttpServer]:
    """`serve --transport http` (http_app.build_http_app) on a free loopback port, in a thread."""
    from talking_video_mcp.http_app import build_http_app

    def make(port: int) -> Any:
        return build_http_app(settings, host="127.0.0.1", port=port)

    with app_in_thread(make, "ui-test-http") as port:
        yield HttpServer(f"http://127.0.0.1:{port}", settings)


def seed_job(
    settings: Settings,
    status: str,
    *,
    model: str = "segmind/heygen-avatar-iv",
    progress: float = 0.0,
    step: str | None = None,
    script: str | None = "Hello from the ledger.",
    voice_id: str | None = "Nova",
    error: str | None = None,
    video: bytes | None = None,
    video_path: Path | None = None,
    kind: str = "talking_video",
    audio: bytes | None = None,
) -> str:
    """A ledger row the runner leaves alone (its next check is an hour away), as the gallery sees jobs."""
    store = JobStore(settings.ledger_path)
    try:
        request = stored_request(model, script=script, voice_id=voice_id)
        job = store.create(NewJob(request=request, provider=model.split("/")[0], kind=kind,
                                  cost_estimate_usd=None if model == "local" else 2.22, step=step))
        fields: dict[str, Any] = {"status": status, "progress": progress, "next_check_at": time.time() + 3600}
        if video is not None:
            path = settings.videos_dir / f"{job.id}.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(video)
            fields["video_path"] = str(path)
        if video_path is not None:
            fields["video_path"] = str(video_path)
        if audio is not None:
            path = settings.videos_dir / f"{job.id}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(audio)
            fields["audio_path"] = str(path)
        if error:
            fields["error"] = error
        if status not in ACTIVE_STATUSES:
            fields["finished_at"] = time.time()
        store.update(job.id, **fields)
        return job.id
    finally:
        store.close()


def update_job(settings: Settings, job_id: str, **fields: Any) -> None:
    store = JobStore(settings.ledger_path)
    try:
        store.update(job_id, **fields)
    finally:
        store.close()


def sample_mp4(seconds: int = 3) -> bytes:
    return mp4_bytes(seconds, seed=7)


async def completed_job(client: Any, emulator: Any, script: str = "Hello from the player.") -> dict[str, Any]:
    """A HeyGen job on the emulator, followed to the end through MCP."""
    from tests.helpers import png_bytes, structured, upload

    image = upload(emulator.base_url, png_bytes(), "image/png")
    job = structured(await client.call_tool("generate_talking_video", {
        "model": "segmind/heygen-avatar-iv", "image": image, "script": script, "voice_id": "Nova"}))
    job = await wait_for_job(client, job, limit_s=30)
    assert job["status"] == "completed", job
    return job


async def proxy(client: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """The test host's connection to the MCP server (its /rpc endpoint): an MCP client session."""
    method, params = payload.get("method"), payload.get("params") or {}
    try:
        if method == "tools/list":
            result = await client.list_tools()
        elif method == "tools/call":
            result = await client.call_tool(params["name"], params.get("arguments") or {})
        elif method == "resources/read":
            result = await client.read_resource(params["uri"])
        else:
            return {"error": {"code": -32601, "message": f"not proxied: {method}"}}
    except Exception as exc:
        return {"error": {"code": -32603, "message": str(exc)}}
    return {"result": result.model_dump(mode="json", by_alias=True, exclude_none=True)}


@asynccontextmanager
async def host_page(browser: Any, client: Any, origin: str, *, height: int = 900) -> AsyncIterator[Any]:
    """A page at `origin` serving the test host (harness/host.html), whose /rpc reaches the server through
    `client`; `page.problems` collects page errors, `page.console` what the browser said."""
    import json
    from urllib.parse import urlsplit

    html = (HARNESS / "host.html").read_text(encoding="utf-8")

    async def serve(route: Any) -> None:
        path = urlsplit(route.request.url).path
        if path == "/host.html":
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        elif path == "/rpc" and route.request.method == "POST":
            answer = await proxy(client, json.loads(route.request.post_data or "{}"))
            await route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))
        else:
            await route.fulfill(status=404, body="")

    context = await browser.new_context(viewport={"width": 900, "height": height})
    page = await context.new_page()
    page.problems, page.console = [], []
    page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: page.console.append(msg.text))
    await page.route(f"{origin}/**", serve)
    try:
        yield page
    finally:
        await context.close()


@asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Any]:
    """Headless Chromium through Playwright; skips (fails in CI) saying why when either is missing."""
    reason = browser_skip_reason()
    if reason is not None:
        from tests.helpers import skip_or_fail

        skip_or_fail(f"browser tests need a browser: {reason}")
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            await browser.close()
