"""Run the emulator: in a background thread for tests and the sandbox, or blocking for the CLI."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

from talking_video_mcp.emulator.app import EmulatorApp, create_app
from talking_video_mcp.emulator.config import EmulatorConfig
from talking_video_mcp.emulator.faults import FaultRule
from talking_video_mcp.emulator.state import EmulatorState, account_id


class EmulatorHandle:
    """A running emulator: its address, and direct access to stats, faults and balances."""

    def __init__(self, app: EmulatorApp, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def state(self) -> EmulatorState:
        return self.app.emulator.state

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point the product's clients at this emulator."""
        return {
            "SEGMIND_BASE_URL": self.base_url,
            "SEGMIND_UPLOAD_URL": f"{self.base_url}/upload-asset",
            "UNIFICALLY_BASE_URL": self.base_url,
            "HEYGEN_BASE_URL": self.base_url,
            "FAL_QUEUE_URL": f"{self.base_url}/fal/queue",
            "FAL_REST_URL": f"{self.base_url}/fal/rest",
        }

    def url(self, path: str) -> str:
        return self.base_url + path

    def stats(self) -> dict[str, Any]:
        """The same document as GET /_emulator/stats."""
        return self.state.snapshot()

    def requests(self) -> list[dict[str, Any]]:
        """The same list as GET /_emulator/requests."""
        return self.state.requests_log()

    def add_fault(self, rule: FaultRule | str) -> None:
        """Arm a rule (a FaultRule or one `endpoint:fault[xN]` string)."""
        self.state.faults.add(FaultRule.parse(rule) if isinstance(rule, str) else rule)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def set_balance(self, provider: Literal["segmind", "unifically"], key: str, amount: float) -> None:
        self.state.set_balance(provider, account_id(key), amount)

    def reset(self) -> None:
        """Forget jobs, uploads, balances, stats and armed faults."""
        self.state.reset()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets that do, and
    # without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _uvicorn_config(
    app: EmulatorApp, log_level: str, host: str = "127.0.0.1", port: int = 0, *, access_log: bool = False
) -> uvicorn.Config:
    # h11 explicitly: the connection faults in wire.py rely on its transport handling.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=1,
    )


@contextmanager
def run_in_thread(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    startup_timeout: float = 10.0,
) -> Iterator[EmulatorHandle]:
    """Serve the emulator on a background thread until the block exits; port 0 picks a free one."""
    app = create_app(config)
    sock = _bind(host, port)
    server = uvicorn.Server(_uvicorn_config(app, "warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="talking-video-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the provider emulator did not start")
        time.sleep(0.01)
    try:
        yield EmulatorHandle(app, host, sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 8790, *, log_level: str = "info"
) -> None:
    """Serve the emulator in the foreground (the `talking-video-mcp emulator` command)."""
    config = config or EmulatorConfig()
    app = create_app(config)
    base = f"http://{host}:{port}"
    print(
        f"Provider emulator on {base} (speed x{config.speed:g}). Point the server at it with:\n"
        f"  SEGMIND_BASE_URL={base} SEGMIND_UPLOAD_URL={base}/upload-asset UNIFICALLY_BASE_URL={base}\n"
        f"  FAL_QUEUE_URL={base}/fal/queue FAL_REST_URL={base}/fal/rest\n"
        f"Stats: {base}/_emulator/stats · faults: header x-emulator-fault or {base}/_emulator/faults",
        file=sys.stderr,
    )
    if not _is_loopback(host):
        print(f"warning: serving on {host}, which is not loopback; it accepts any API key.", file=sys.stderr)
    uvicorn.Server(_uvicorn_config(app, log_level, host, port, access_log=True)).run()
