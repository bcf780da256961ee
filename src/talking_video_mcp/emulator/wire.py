"""Connection-level misbehaviour: cut a response half-way, reset a connection, hold a reply.

ASGI has no "close the socket" message, so these reach uvicorn's transport through the
raw `send` that `EmulatorApp` stores in the scope. Under another server (or an in-process
transport) they fall back to raising, which the client also sees as a broken exchange.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

RAW_SEND_KEY = "emulator.raw_send"


class ConnectionCut(ConnectionAbortedError):
    """Raised where the server gives no transport to cut."""


async def cut_connection(scope: Scope, *, reset: bool) -> None:
    """Close the client connection now: a TCP reset when `reset`, else a plain close that
    still flushes what was already written."""
    cycle: Any = getattr(scope.get(RAW_SEND_KEY), "__self__", None)
    transport: asyncio.Transport | None = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionCut("emulator fault: connection cut")
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Wait until the server notices (connection_lost), so it does not log an unfinished
    # response or try to send a 500 of its own.
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.005)


class ResetResponse(Response):
    """Nothing is sent: the connection is reset."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await cut_connection(scope, reset=True)


class CutResponse(Response):
    """Send `inner`'s status and headers (with its full content-length), then only the first
    `keep` bytes of its body, then close: the client sees an incomplete body."""

    def __init__(self, inner: Response, keep: int) -> None:
        super().__init__(status_code=inner.status_code)
        self.raw_headers = list(inner.raw_headers)
        self.body = bytes(inner.body)
        self.keep = max(0, min(keep, len(self.body) - 1))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: self.keep], "more_body": True})
        await cut_connection(scope, reset=False)


async def hold(request: Request, seconds: float) -> None:
    """Wait `seconds`, or less if the client hangs up first (so shutdown is not held up)."""
    with anyio.move_on_after(seconds):
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return
