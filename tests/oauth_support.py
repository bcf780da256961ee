"""OAuth from the client's side, for the end-to-end tests: the SDK's own OAuth client providers (client
credentials; authorization code + PKCE with the browser steps done by httpx) against node-oidc-provider
(tests/oidc), and an MCP server process that signs users in through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.conftest import env_for
from tests.oidc import REDIRECT_URI, AuthServer, secret_of
from tests.servers import ServerProcess

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "oauth-test", "version": "1"}}}


def oauth_env(settings: Any, port: int, issuer: str, **extra: Any) -> dict[str, str]:
    env = env_for(settings)
    env.pop("TALKING_VIDEO_HTTP_TOKEN", None)
    env.update({"TALKING_VIDEO_PUBLIC_URL": f"http://127.0.0.1:{port}", "TALKING_VIDEO_OAUTH_ISSUER": issuer,
                **{k: str(v) for k, v in extra.items()}})
    return env


@contextmanager
def oauth_server(env: dict[str, str], log: Path, port: int, *args: str) -> Iterator[ServerProcess]:
    server = ServerProcess(env, log, port=port, args=args)
    try:
        yield server
    finally:
        server.stop()


def initialize(url: str, token: str | None) -> httpx.Response:
    """A bare `initialize` POST with this bearer token (or none)."""
    headers = {**MCP_HEADERS, **({"authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(url, json=INIT, headers=headers, timeout=15)


class MemoryStorage:
    """The SDK's TokenStorage, in memory; `client_info` pre-registers the client (no dynamic registration)."""

    def __init__(self, client_info: Any = None) -> None:
        self.tokens: Any = None
        self.client_info = client_info

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        self.client_info = client_info


def client_credentials(url: str, client_id: str, issuer: str) -> Any:
    from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider

    return ClientCredentialsOAuthProvider(server_url=url, storage=MemoryStorage(), client_id=client_id,
                                          client_secret=secret_of(client_id), scope="mcp:tools", issuer=issuer)


class Browser:
    """The user's browser: follows the authorization URL through sign-in and consent (provider.mjs grants
    both at once) to the redirect back to the client, and keeps the code it carries."""

    def __init__(self) -> None:
        self.result: Any = None

    async def open(self, authorization_url: str) -> None:
        from mcp.shared.auth import AuthorizationCodeResult

        url = authorization_url
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(10):
                response = await http.get(url)
                location = response.headers.get("location")
                assert response.is_redirect and location, (response.status_code, response.text[:500])
                url = urljoin(url, location)
                if url.startswith(REDIRECT_URI):
                    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                    assert "code" in query, query
                    self.result = AuthorizationCodeResult(code=query["code"], state=query.get("state"),
                                                          iss=query.get("iss"))
                    return
        raise AssertionError("the authorization server never redirected back to the client")

    async def callback(self) -> Any:
        return self.result


def authorization_code(url: str) -> Any:
    """The SDK's OAuthClientProvider for the pre-registered public client `desktop-app` (PKCE, no secret)."""
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata

    metadata = OAuthClientMetadata(redirect_uris=[REDIRECT_URI], token_endpoint_auth_method="none",  # type: ignore[list-item]
                                   grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                                   scope="mcp:tools", client_name="desktop-app")
    info = OAuthClientInformationFull(client_id="desktop-app", **metadata.model_dump(exclude_none=True))
    browser = Browser()
    return OAuthClientProvider(server_url=url, client_metadata=metadata, storage=MemoryStorage(info),
                               redirect_handler=browser.open, callback_handler=browser.callback)


@asynccontextmanager
async def signed_in(url: str, auth: Any) -> AsyncIterator[Any]:
    """An MCP client session over streamable HTTP whose requests the SDK's OAuth provider `auth` signs."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (httpx2.AsyncClient(auth=auth, timeout=30) as http,
                Client(streamable_http_client(url, http_client=http)) as client):
        yield client


def as_user(auth_server: AuthServer, client_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {auth_server.token(client_id)}"}
