"""`PUT /uploads/{token}?signature=..`: the one upload a create_upload ticket allows (uploads.py). The signed URL is
the credential (no bearer token, no session), as download links are. The declared size and type are checked
before a byte is read, the body is cut off at the limit, and the bytes are checked (format, a face) before
anything is kept. CORS allows any origin: the MCP App uploads from a sandboxed iframe, and the URL itself
is the secret."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from talking_video_mcp.errors import InvalidInput, StorageError
from talking_video_mcp.ui.state import NotReady, StateRef, ready_services
from talking_video_mcp.uploads import ACCEPTED, MAX_BYTES, ROUTE, Ticket, Uploads

_CORS = {"access-control-allow-origin": "*", "access-control-allow-methods": "PUT, OPTIONS",
         "access-control-allow-headers": "content-type", "access-control-max-age": "600"}
_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store",
            **_CORS}
REFUSED = "this upload URL is not valid or has expired; call create_upload for a new one"


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_HEADERS)


def _declared(request: Request, ticket: Ticket) -> tuple[str, int] | JSONResponse:
    """The Content-Type and Content-Length the client declared, or the refusal they earn (nothing read yet)."""
    mime = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if mime not in ACCEPTED[ticket.kind]:
        return _error(f"Content-Type {mime or '(none)'} is not accepted for an {ticket.kind} upload; send one of "
                      f"{', '.join(ACCEPTED[ticket.kind])}", 415)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return _error("send the file with a Content-Length header (curl -T does)", 411)
    size, limit = int(length), MAX_BYTES[ticket.kind]
    if size > limit:
        return _error(f"the file is {size} bytes, over the {limit} byte limit for an {ticket.kind}; upload a smaller "
                      "one", 413)
    if size == 0:
        return _error("the file is empty; upload the photo or recording itself", 400)
    return mime, size


async def _receive(request: Request, part: Path, size: int) -> JSONResponse | None:
    """Write at most `size` bytes of the body to `part`; a refusal when the body is longer or shorter."""
    written = 0
    async with await anyio.open_file(part, "wb") as out:
        async for chunk in request.stream():
            written += len(chunk)
            if written > size:
                return _error("the body is longer than its Content-Length; send the file as it is", 400)
            await out.write(chunk)
    if written < size:
        return _error(f"the upload was cut short ({written} of {size} bytes); try again", 400)
    return None


async def _put(uploads: Uploads, request: Request) -> Response:
    ticket = uploads.put_ticket(str(request.path_params.get("token", "")), request.url.query)
    if ticket is None:
        return _error(REFUSED, 403)
    declared = _declared(request, ticket)
    if isinstance(declared, JSONResponse):
        return declared
    mime, size = declared
    if await anyio.to_thread.run_sync(uploads.stored, ticket):
        return _error("this upload URL was used already; an upload URL takes one file (call create_upload again)", 409)
    uploads.scratch.mkdir(parents=True, exist_ok=True)
    part = uploads.scratch / f".upload-{ticket.name}-{secrets.token_hex(4)}.part"
    try:
        refused = await _receive(request, part, size)
        if refused is not None:
            return refused
        await anyio.to_thread.run_sync(uploads.check_and_keep, ticket, part, mime)
    except InvalidInput as exc:
        status = 409 if "uploaded already" in exc.message else 422
        return _error(f"the {ticket.kind} {exc.message.rstrip('.')}", status)
    finally:
        part.unlink(missing_ok=True)
    return JSONResponse({"status": "stored", "kind": ticket.kind, "bytes": size}, status_code=201, headers=_HEADERS)


def add_upload_routes(mcp: MCPServer[Any], ref: StateRef) -> None:
    """Register `/uploads/...` (http_app lets it through without a bearer token)."""

    async def upload(request: Request) -> Response:
        if request.method == "OPTIONS":
            # Private Network Access: a chat app's page (public) may PUT to a server on the user's own network.
            return Response(status_code=204, headers={**_CORS, "access-control-allow-private-network": "true"})
        try:
            state = await ready_services(ref)
        except NotReady as exc:
            return _error(str(exc), 503)
        if state.uploads is None:
            return _error("uploads are not available on this server", 404)
        try:
            return await _put(state.uploads, request)
        except StorageError as exc:
            return _error(f"the video store did not take the upload ({exc}); try again", 503)

    mcp.custom_route(ROUTE + "/{token}", methods=["PUT", "OPTIONS"], name="upload", include_in_schema=False)(upload)
