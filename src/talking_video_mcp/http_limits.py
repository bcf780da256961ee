"""A bound on what one HTTP request may send: a body over the limit is answered 413 with one sentence before
the MCP layer (or anything that writes) sees a byte of it."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f}".removesuffix(".0") + " MB"


class BodyLimit:
    """413 for a request whose body is over `max_bytes`: at once when Content-Length says so, else (a chunked
    body) once the bytes read pass the limit, before the application is called. Chunked bodies are read here in
    full (up to the limit) and handed on, so an application never sees part of a refused request."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        await self.app(scope, _replay(messages, receive), send)

    async def _refuse(self, send: Send) -> None:
        sentence = (f"The request body is larger than this server's limit of {_mb(self.max_bytes)}; send a smaller "
                    "request (pass large files as https URLs).")
        body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": sentence}}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Any:
        return queue.pop(0) if queue else await receive()

    return replayed
