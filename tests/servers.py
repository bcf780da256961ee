"""A real `talking-video-mcp serve --transport http` process for end-to-end tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Terminate a server the tests started, and kill it if it does not exit within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class ServerProcess:
    """`talking-video-mcp serve --transport http` as a subprocess; its stdout and stderr go to `log`."""

    def __init__(self, env: dict[str, str], log: Path, *, host: str = "127.0.0.1", port: int | None = None,
                 wait: bool = True, args: tuple[str, ...] = ()) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "talking_video_mcp", "serve", "--transport", "http", "--host", host,
                 "--port", str(self.port), *args],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        stop_process(self.proc)


class WorkerProcess(ServerProcess):
    """`talking-video-mcp worker`: drives jobs from the shared ledger, serves nothing."""

    def __init__(self, env: dict[str, str], log: Path) -> None:  # no port to wait for
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "talking_video_mcp", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )


@contextmanager
def app_in_thread(make_app: Callable[[int], Any], name: str = "test-http") -> Iterator[int]:
    """An ASGI app, made for its port by `make_app`, served by uvicorn on a free loopback port in a thread."""
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(make_app(port), lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
