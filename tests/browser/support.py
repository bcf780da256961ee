"""Shared by the UI tests: the HTTP server in a thread, ledger rows made to order, headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from talking_video_mcp.domain.records import NewJob
from talking_video_mcp.emulator.media import mp4_bytes
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.models import ACTIVE_STATUSES
from talking_video_mcp.settings import Settings
from tests.helpers import stored_request, wait_for_job

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

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    app = build_http_app(settings, host="127.0.0.1", port=port)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="ui-test-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    try:
        yield HttpServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


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
) -> str:
    """A ledger row the runner leaves alone (its next check is an hour away), as the gallery sees jobs."""
    store = JobStore(settings.ledger_path)
    try:
        request = stored_request(model, script=script, voice_id=voice_id)
        job = store.create(NewJob(request=request, provider=model.split("/")[0],
                                  cost_estimate_usd=None if model == "local" else 2.22, step=step))
        fields: dict[str, Any] = {"status": status, "progress": progress, "next_check_at": time.time() + 3600}
        if video is not None:
            path = settings.videos_dir / f"{job.id}.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(video)
            fields["video_path"] = str(path)
        if video_path is not None:
            fields["video_path"] = str(video_path)
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
