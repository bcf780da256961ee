"""The streamable HTTP transport: `/mcp`, guarded by OAuth sign-in or a static bearer token, and Host/Origin
checks."""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from talking_video_mcp.settings import Settings

if TYPE_CHECKING:
    from mcp.server.auth.settings import AuthSettings

    from talking_video_mcp.server.base import CompactServer


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


COOKIE = "tvm_gallery"


class BearerTokenMiddleware:
    """401 for any request without `Authorization: Bearer <TALKING_VIDEO_HTTP_TOKEN>`, except signed download
    links (`/downloads/...`) and upload URLs (`/uploads/...`), whose signature is their credential
    (ui/downloads.py, ui/uploads.py check it).

    A browser cannot send that header when it opens the gallery or plays a `<video>`, so the gallery
    (never `/mcp`) also accepts a cookie: opening `/?token=<token>` once exchanges the token for an
    HttpOnly, SameSite=Strict cookie holding a value derived from it, and redirects to the clean URL."""

    def __init__(self, app: ASGIApp, token: str, *, mcp_path: str = "/mcp",
                 open_prefix: tuple[str, ...] = ("/downloads/", "/uploads/")) -> None:
        self.app = app
        self._token = token.encode()
        self._cookie = hmac.new(self._token, b"gallery-cookie", hashlib.sha256).hexdigest().encode()
        self._mcp_path = mcp_path
        self._open_prefix = open_prefix

    def _bearer_ok(self, headers: dict[bytes, bytes]) -> bool:
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._token)

    def _cookie_ok(self, headers: dict[bytes, bytes]) -> bool:
        for part in headers.get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == COOKIE.encode() and hmac.compare_digest(value, self._cookie):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self._open_prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        gallery = not str(scope.get("path", "")).startswith(self._mcp_path)
        if self._bearer_ok(headers) or (gallery and self._cookie_ok(headers)):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        offered = (query.get("token") or [""])[0].encode()
        if gallery and scope.get("method") == "GET" and offered and hmac.compare_digest(offered, self._token):
            cookie = f"{COOKIE}={self._cookie.decode()}; HttpOnly; SameSite=Strict; Path=/"
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", str(scope.get("path") or "/").encode()), (b"set-cookie", cookie.encode()),
                (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if gallery and scope.get("method") in ("GET", "HEAD") and b"text/html" in headers.get(b"accept", b""):
            # A person opened the gallery in a browser: a page that says what to do, not a JSON body.
            reason = _refusal_reason(offered=bool(offered), had_cookie=COOKIE.encode() in headers.get(b"cookie", b""))
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"text/html; charset=utf-8"), (b"www-authenticate", b"Bearer"),
                (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
                (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
            ]})
            await send({"type": "http.response.body", "body": _token_page(reason).encode()})
            return
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body",
                    "body": b'{"error":"missing or wrong bearer token (TALKING_VIDEO_HTTP_TOKEN)"}'})


def _refusal_reason(*, offered: bool, had_cookie: bool) -> str:
    if offered:
        return "The token in this address is not the server's token: check it (copy it again) and reopen the page."
    if had_cookie:
        return ("Your access has expired: the server's token changed since you opened the gallery (it was restarted "
                "with a new TALKING_VIDEO_HTTP_TOKEN). Open it again with the current token.")
    return "This address has no access token, and this browser has no access yet."


def _token_page(reason: str) -> str:
    """The page a browser gets without access (the static file; read only when someone is refused)."""
    from talking_video_mcp.ui.pages import page  # the UI package: loaded by the server already, not by importers

    return page("token.html").replace("{{REASON}}", html.escape(reason))


class HealthCheck:
    """`GET /healthz` answers 200 without a token, for load balancers and container health checks; it says
    only that the process serves HTTP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == "/healthz" and scope.get("method") in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"application/json"), (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
            return
        await self.app(scope, receive, send)


def security_settings(host: str, port: int, extra_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection: only the names this server is reached by (plus
    TALKING_VIDEO_HTTP_ALLOWED_HOSTS, the names remote clients use, e.g. behind a proxy)."""
    hosts = {f"{host}:{port}", host, f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    for name in extra_hosts:
        hosts.update({name, f"{name}:{port}"})
    origins = {f"http://{h}" for h in hosts} | {f"https://{h}" for h in hosts}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=sorted(hosts), allowed_origins=sorted(origins)
    )


def oauth_options(settings: Settings) -> dict[str, Any]:
    """`build_server`'s OAuth arguments: the SDK serves the protected-resource metadata for our `/mcp` URL and
    answers 401/403; oauth.py checks each token against the issuer's keys."""
    if not (settings.oauth_issuer and settings.mcp_url):
        return {}
    from mcp.server.auth.settings import AuthSettings

    from talking_video_mcp.oauth import JwtTokenVerifier

    auth = AuthSettings(
        issuer_url=settings.oauth_issuer, resource_server_url=settings.mcp_url,  # type: ignore[arg-type]
        required_scopes=settings.oauth_scopes, validate_token_resource=True,
    )
    return {"auth": auth, "token_verifier": JwtTokenVerifier(settings.oauth_issuer, settings.mcp_url)}


def serve_root_metadata(server: CompactServer, auth: AuthSettings) -> None:
    """The protected-resource metadata also at the root well-known path, where MCP clients look when a 401
    names none (the SDK serves it at the RFC 9728 path, /.well-known/oauth-protected-resource/mcp)."""
    from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
    from mcp.shared.auth import ProtectedResourceMetadata

    if auth.resource_server_url is None:
        return
    metadata = ProtectedResourceMetadata(resource=auth.resource_server_url, authorization_servers=[auth.issuer_url],
                                         scopes_supported=auth.required_scopes)
    server.custom_route("/.well-known/oauth-protected-resource", methods=["GET"], name="resource_metadata_root",
                        include_in_schema=False)(ProtectedResourceMetadataHandler(metadata).handle)


def build_http_app(settings: Settings, *, host: str, port: int) -> Any:
    from talking_video_mcp.server import build_server  # the SDK (~0.7 s): not for importers of is_loopback

    token = settings.http_token.get_secret_value() if settings.http_token else None
    if not is_loopback(host) and not token and not settings.oauth_issuer:
        raise SystemExit(
            f"refusing to listen on {host}: set TALKING_VIDEO_HTTP_TOKEN to require a bearer token off loopback "
            "(or TALKING_VIDEO_OAUTH_ISSUER and TALKING_VIDEO_PUBLIC_URL for OAuth sign-in)"
        )
    settings = settings.guarded()  # a server others reach: their URLs may not reach its private network
    oauth = oauth_options(settings)
    server = build_server(settings, gallery=True, **oauth)
    if oauth:
        serve_root_metadata(server, oauth["auth"])
    public = urlsplit(settings.public_url) if settings.public_url else None  # the name clients reach us by
    names = [public.netloc, public.hostname or ""] if public else []
    guard = security_settings(host, port, [*settings.http_allowed_hosts, *filter(None, names)])
    app: Any = server.streamable_http_app(
        transport_security=guard, host=host, stateless_http=settings.http_stateless
    )
    if token:
        app = BearerTokenMiddleware(app, token)
    from talking_video_mcp.http_limits import BodyLimit

    return BodyLimit(HealthCheck(app), settings.http_max_body_bytes)


def startup_lines(settings: Settings, *, host: str, port: int) -> list[str]:
    """What `serve --transport http` says when it starts: where clients and browsers reach it (never a secret)."""
    if settings.public_url:
        base = settings.public_url
    else:
        wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 (compared, to show a name people can open)
        shown = "localhost" if wildcard else (f"[{host}]" if ":" in host else host)
        base = f"http://{shown}:{port}"
    if settings.oauth_issuer:
        access = f"users sign in with {settings.oauth_issuer}"
    elif settings.http_token is not None and settings.http_token.get_secret_value():
        access = "clients send Authorization: Bearer <TALKING_VIDEO_HTTP_TOKEN>; browsers open the gallery once " \
                 "with ?token=<TALKING_VIDEO_HTTP_TOKEN>"
    else:
        access = "no token (loopback only)"
    return [f"talking-video-mcp: MCP endpoint {base}/mcp", f"talking-video-mcp: job gallery  {base}/",
            f"talking-video-mcp: access: {access}; stop with Ctrl-C"]


def serve_http(settings: Settings, *, host: str, port: int) -> int:
    import sys

    import uvicorn  # only the HTTP transport needs it (about 60 ms of imports)

    app = build_http_app(settings, host=host, port=port)
    print("\n".join(startup_lines(settings, host=host, port=port)), file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
    return 0
