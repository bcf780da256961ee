"""Tiny HTTP listeners on loopback addresses that record every request they get: what the outbound guard's
tests point user URLs at (a refused target must see no request at all)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import png_bytes


@dataclass
class Listener:
    host: str
    port: int
    requests: list[str] = field(default_factory=list)
    redirect_to: str | None = None
    body: bytes = b""
    drip_s: float = 0.0  # a pause before each byte of the body: a server that never finishes

    def url(self, path: str = "/face.png", host: str | None = None) -> str:
        name = host or self.host
        return f"http://{f'[{name}]' if ':' in name else name}:{self.port}{path}"


@contextmanager
def listening(host: str = "127.0.0.1", *, redirect_to: str | None = None, body: bytes | None = None,
              drip_s: float = 0.0) -> Iterator[Listener]:
    """A listener on `host` (any free port) answering a PNG, or a 302 to `redirect_to`."""
    family_host = host

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body: bool) -> None:
            state.requests.append(f"{self.command} {self.path}")
            if state.redirect_to:
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            if with_body:
                for i in range(len(state.body)):
                    if state.drip_s:
                        time.sleep(state.drip_s)
                    try:
                        self.wfile.write(state.body[i:i + 1] if state.drip_s else state.body[i:])
                        self.wfile.flush()
                    except OSError:
                        return
                    if not state.drip_s:
                        return

        def do_HEAD(self) -> None:
            self._answer(False)

        def do_GET(self) -> None:
            self._answer(True)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server_class = ThreadingHTTPServer
    if ":" in family_host:
        import socket

        class V6(ThreadingHTTPServer):
            address_family = socket.AF_INET6

        server_class = V6
    server = server_class((family_host, 0), Handler)
    server.daemon_threads = True
    state = Listener(host, server.server_address[1], redirect_to=redirect_to,
                     body=png_bytes() if body is None else body, drip_s=drip_s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
