"""OAuth 2.1 sign-in on the streamable HTTP transport, against a real authorization server (node-oidc-provider,
tests/oidc) and a real `serve --transport http` process: the protected-resource metadata is where RFC 9728
puts it, the 401 points clients to it, every bad token is refused (wrong audience, wrong issuer, expired, bad
signature: 401; missing scope: 403), the SDK's own OAuth clients get in with the client-credentials grant and
with authorization code + PKCE, and a provider restarted with a new signing key is accepted without
restarting the server."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.settings import Settings
from tests.oauth_support import (
    authorization_code,
    client_credentials,
    initialize,
    oauth_env,
    oauth_server,
    signed_in,
)
from tests.oidc import AuthServer, auth_server
from tests.servers import ServerProcess, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@dataclass
class Stack:
    server: ServerProcess
    auth: AuthServer
    folder: Path

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    with auth_server(f"http://127.0.0.1:{port}/mcp", tmp_path / "oidc") as auth, \
            oauth_server(oauth_env(settings, port, auth.issuer), tmp_path / "server.log", port) as server:
        yield Stack(server, auth, tmp_path / "oidc")


def forged(stack: Stack, **changes: Any) -> str:
    """A token signed with the authorization server's own key, with these claims changed."""
    import jwt
    from jwt.algorithms import RSAAlgorithm

    now = int(time.time())
    claims = {"iss": stack.auth.issuer, "aud": stack.url, "sub": "mallory", "client_id": "alpha",
              "scope": "mcp:tools", "iat": now, "exp": now + 300, **changes}
    key = RSAAlgorithm.from_jwk(stack.auth.key)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": stack.auth.key["kid"], "typ": "at+jwt"})  # type: ignore[arg-type]


def test_metadata_and_401_point_clients_to_the_authorization_server(stack: Stack) -> None:
    metadata_url = f"http://127.0.0.1:{stack.server.port}/.well-known/oauth-protected-resource/mcp"
    meta = httpx.get(metadata_url, timeout=10)
    assert meta.status_code == 200
    body = meta.json()
    assert body["resource"] == stack.url
    assert body["authorization_servers"] == [stack.auth.issuer]
    assert body["scopes_supported"] == ["mcp:tools"]
    # Also at the root well-known path, where clients look when a 401 names no metadata.
    assert httpx.get(f"http://127.0.0.1:{stack.server.port}/.well-known/oauth-protected-resource").json() == body
    # The authorization server it names publishes its metadata (what a client reads next).
    discovery = httpx.get(f"{stack.auth.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == stack.auth.issuer and "S256" in discovery["code_challenge_methods_supported"]

    anonymous = initialize(stack.url, None)
    assert anonymous.status_code == 401
    challenge = anonymous.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}"' in challenge
    assert initialize(stack.url, stack.auth.token("alpha")).status_code == 200


def test_bad_tokens_are_refused(stack: Stack) -> None:
    good = stack.auth.token("alpha")
    assert initialize(stack.url, good).status_code == 200
    assert initialize(stack.url, forged(stack)).status_code == 200  # the forging itself is sound

    other_audience = stack.auth.token("alpha", resource="http://127.0.0.1:9/mcp")
    header, payload, signature = good.split(".")
    flipped = base64.urlsafe_b64decode(signature + "==")
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    bad_signature = ".".join([header, payload, base64.urlsafe_b64encode(flipped).decode().rstrip("=")])
    refused = {
        "wrong audience": other_audience,
        "wrong issuer": forged(stack, iss="http://127.0.0.1:9"),
        "expired": forged(stack, iat=int(time.time()) - 900, exp=int(time.time()) - 600),
        "bad signature": bad_signature,
        "not a JWT": "opaque-token-0123456789",
        "HMAC with the public key": _hs256_confusion(stack),
    }
    for why, token in refused.items():
        answer = initialize(stack.url, token)
        assert answer.status_code == 401, (why, answer.status_code, answer.text)
        assert "resource_metadata=" in answer.headers["www-authenticate"], why

    narrow = stack.auth.token("narrow", scope="mcp:other")
    answer = initialize(stack.url, narrow)
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


def test_a_token_from_another_issuer_with_the_same_key_is_refused(stack: Stack) -> None:
    """A second authorization server holding the same key, at another URL: its tokens name another issuer."""
    with auth_server(stack.url, stack.folder / "other", key=stack.auth.key) as other:
        token = other.token("alpha")
        assert initialize(stack.url, token).status_code == 401
    assert initialize(stack.url, stack.auth.token("alpha")).status_code == 200


def _hs256_confusion(stack: Stack) -> str:
    """An HS256 token keyed with the public key's bytes: refused however the key is read."""
    import jwt

    now = int(time.time())
    claims = {"iss": stack.auth.issuer, "aud": stack.url, "sub": "x", "client_id": "alpha", "scope": "mcp:tools",
              "exp": now + 300}
    secret = stack.auth.key["n"].encode()
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": stack.auth.key["kid"]})


async def test_the_sdk_client_signs_in_with_client_credentials(stack: Stack) -> None:
    async with signed_in(stack.url, client_credentials(stack.url, "alpha", stack.auth.issuer)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert "generate_talking_video" in tools
        listed = await client.call_tool("list_jobs", {})
        assert not listed.is_error and listed.structured_content["jobs"] == []


async def test_the_sdk_client_signs_in_with_authorization_code_and_pkce(stack: Stack) -> None:
    auth = authorization_code(stack.url)
    async with signed_in(stack.url, auth) as client:
        listed = await client.call_tool("list_jobs", {})
        assert not listed.is_error
    tokens = await auth.context.storage.get_tokens()
    import jwt

    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert claims["sub"] == "carol" and claims["client_id"] == "desktop-app" and claims["aud"] == stack.url


def test_a_new_signing_key_is_accepted_without_a_restart(stack: Stack) -> None:
    old = stack.auth.token("alpha")
    assert initialize(stack.url, old).status_code == 200
    port = stack.auth.port
    stack.auth.stop()
    with auth_server(stack.url, stack.folder / "rotated", port=port) as rotated:
        assert rotated.key["kid"] != stack.auth.key["kid"]
        fresh = rotated.token("alpha")
        assert initialize(stack.url, fresh).status_code == 200
        # The old key is no longer published, so its tokens stop working.
        assert initialize(stack.url, old).status_code == 401
    assert stack.server.proc.poll() is None
