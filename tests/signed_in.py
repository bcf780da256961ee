"""A signed-in HTTP server without an authorization server: the real `serve --transport http` wiring (the SDK's
bearer-auth middleware, identity from its access-token contextvar) with a token verifier that knows a few
fixed tokens, one per user. For tests about what one user may do with another's things (uploads, completions);
the OAuth flow itself is tested against node-oidc-provider in tests/e2e/test_oauth.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from mcp.server.auth.provider import AccessToken

from talking_video_mcp.settings import Settings
from tests.servers import app_in_thread

USERS = {"token-alice-0123456789": "alice", "token-bob-0123456789ab": "bob"}
ALICE, BOB = "token-alice-0123456789", "token-bob-0123456789ab"


class FixedTokens:
    """A TokenVerifier: each known token is its user's, for this server's /mcp."""

    def __init__(self, resource: str) -> None:
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        user = USERS.get(token)
        if user is None:
            return None
        return AccessToken(token=token, client_id=f"{user}-app", scopes=["mcp:tools"], subject=user,
                           resource=self.resource, expires_at=int(time.time()) + 3600)


@contextmanager
def signed_in_server(settings: Settings) -> Iterator[str]:
    """The server on a free loopback port, in a thread; yields its base URL (also its public URL)."""
    from mcp.server.auth.settings import AuthSettings

    from talking_video_mcp.http_app import security_settings
    from talking_video_mcp.server import build_server

    holder: dict[str, str] = {}

    def make(port: int) -> Any:
        base = holder["base"] = f"http://127.0.0.1:{port}"
        public = settings.model_copy(update={"public_url": base})
        auth = AuthSettings(issuer_url="http://127.0.0.1:9/issuer",  # type: ignore[arg-type]
                            resource_server_url=f"{base}/mcp",  # type: ignore[arg-type]
                            required_scopes=["mcp:tools"], validate_token_resource=True)
        server = build_server(public, gallery=True, auth=auth, token_verifier=FixedTokens(f"{base}/mcp"))
        return server.streamable_http_app(transport_security=security_settings("127.0.0.1", port), host="127.0.0.1")

    with app_in_thread(make, "signed-in-http"):
        yield holder["base"]


@asynccontextmanager
async def session(base: str, token: str) -> AsyncIterator[Any]:
    """An MCP client over streamable HTTP, signed in with `token`."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=60) as http,
                Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client):
        yield client
