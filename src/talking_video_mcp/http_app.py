"""The streamable HTTP transport: `/mcp`, guarded by a bearer token and Host/Origin checks."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from talking_video_mcp.settings import Settings


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerTokenMiddleware:
    """401 for any request without `Authorization: Bearer <TALKING_VIDEO_HTTP_TOKEN>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body",
                            "body": b'{"error":"missing or wrong bearer token (TALKING_VIDEO_HTTP_TOKEN)"}'})
                return
        await self.app(scope, receive, send)


def security_settings(host: str, port: int) -> TransportSecuritySettings:
    """DNS-rebinding protection: only the names this server is reached by."""
    hosts = {f"{host}:{port}", host, f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    origins = {f"http://{h}" for h in hosts} | {f"https://{h}" for h in hosts}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=sorted(hosts), allowed_origins=sorted(origins)
    )


def build_http_app(settings: Settings, *, host: str, port: int) -> Any:
    from talking_video_mcp.server import build_server

    token = settings.http_token.get_secret_value() if settings.http_token else None
    if not is_loopback(host) and not token:
        raise SystemExit(
            f"refusing to listen on {host}: set TALKING_VIDEO_HTTP_TOKEN to require a bearer token off loopback"
        )
    server = build_server(settings, gallery=True)
    app: Any = server.streamable_http_app(transport_security=security_settings(host, port), host=host)
    if token:
        app = BearerTokenMiddleware(app, token)
    return app


def serve_http(settings: Settings, *, host: str, port: int) -> int:
    import uvicorn

    app = build_http_app(settings, host=host, port=port)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
    return 0
