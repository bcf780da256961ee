"""OAuth 2.1 resource server: access tokens are JWTs checked against the authorization server's keys.

The SDK serves the protected-resource metadata (RFC 9728) and answers 401/403 (`http_app.py` passes it this
verifier and `AuthSettings`); this module says whether a bearer token is good: signed by a key of the
issuer's JWKS (found through its discovery document), issued by that issuer, for this server's `/mcp` URL
(the `aud` claim, RFC 8707/9068), and not expired. Scopes are read here and checked by the SDK. A token
whose key id is unknown refetches the JWKS (at most once per `refetch_interval_s`), so the authorization
server can rotate its keys without us restarting."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
from mcp.server.auth.provider import AccessToken

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# Asymmetric signatures only: an HMAC or "none" token would be a key confusion, not a login.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_S = 30  # clock skew between us and the authorization server


def discovery_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may be: RFC 8414 (path after the well-known part), then OpenID Connect."""
    parts = urlsplit(issuer)
    base, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    return [f"{base}/.well-known/oauth-authorization-server{path}",
            f"{issuer.rstrip('/')}/.well-known/openid-configuration"]


class JwksCache:
    """The issuer's signing keys by key id, fetched on first use and again when a token names a new key."""

    def __init__(self, issuer: str, *, refetch_interval_s: float = 10.0, timeout_s: float = 10.0) -> None:
        self.issuer = issuer
        self.refetch_interval_s = refetch_interval_s
        self.timeout_s = timeout_s
        self._jwks_uri: str | None = None
        self._keys: dict[str, Any] = {}
        self._loaded = False
        self._refetched_at = -float("inf")  # the last fetch after the keys were loaded (rate-limited)
        self._lock = anyio.Lock()

    async def key(self, kid: str | None) -> Any:
        """The key (a PyJWK) for `kid`, or None when the issuer has no such key."""
        found = self._lookup(kid)
        if found is not None:
            return found
        async with self._lock:
            found = self._lookup(kid)
            now = time.monotonic()
            # The first fetch (retried at most once a second while the issuer is away), then again for a key id
            # we do not know (a rotation) at most once per interval, so random key ids cannot hammer the issuer.
            if found is None and now - self._refetched_at >= (self.refetch_interval_s if self._loaded else 1.0):
                self._refetched_at = now
                try:
                    self._keys = await self._fetch()
                except Exception as exc:  # the issuer is away or answers nonsense: no token is good meanwhile
                    log.warning("OAuth: could not fetch the signing keys of %s: %s", self.issuer, exc)
                else:
                    log.info("OAuth: %d signing key(s) of %s", len(self._keys), self.issuer)
                    if not self._loaded:
                        self._loaded, self._refetched_at = True, -float("inf")  # the first load does not count
                found = self._lookup(kid)
        return found

    def _lookup(self, kid: str | None) -> Any:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _fetch(self) -> dict[str, Any]:
        """The issuer's signing keys by key id, from its JWKS (found through its discovery document once)."""
        import httpx  # with the first token, not at start-up
        from jwt import PyJWKSet  # PyJWT and cryptography: about 40 ms of imports, not for stdio users

        async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as http:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover(http)
            response = await http.get(self._jwks_uri)
            response.raise_for_status()
            keys = PyJWKSet.from_dict(response.json()).keys
        return {str(k.key_id): k for k in keys if k.public_key_use in (None, "sig")}

    async def _discover(self, http: httpx.AsyncClient) -> str:
        for url in discovery_urls(self.issuer):
            response = await http.get(url)
            if response.status_code != 200:
                continue
            meta = response.json()
            if meta.get("issuer") != self.issuer or not meta.get("jwks_uri"):
                raise ValueError(f"{url} names issuer {meta.get('issuer')!r} or no jwks_uri")
            return str(meta["jwks_uri"])
        raise ValueError(f"no discovery document at {' or '.join(discovery_urls(self.issuer))}")


class JwtTokenVerifier:
    """The SDK's `TokenVerifier` for JWT access tokens of one issuer, for one resource (our `/mcp` URL)."""

    def __init__(self, issuer: str, resource: str, *, keys: JwksCache | None = None) -> None:
        self.issuer = issuer
        self.resource = resource
        self.keys = keys or JwksCache(issuer)

    async def verify_token(self, token: str) -> AccessToken | None:
        import jwt  # see JwksCache._fetch

        try:
            header = jwt.get_unverified_header(token)
            key = await self.keys.key(header.get("kid"))
            if key is None:
                log.info("OAuth: token refused: unknown signing key %r", header.get("kid"))
                return None
            claims = jwt.decode(
                token, key, algorithms=list(ALGORITHMS), audience=self.resource, issuer=self.issuer,
                leeway=LEEWAY_S, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            log.info("OAuth: token refused: %s", exc)
            return None
        return self._access_token(token, claims)

    def _access_token(self, token: str, claims: dict[str, Any]) -> AccessToken | None:
        client_id = claims.get("client_id") or claims.get("azp")
        if not isinstance(client_id, str) or not client_id:
            log.info("OAuth: token refused: it names no client_id")
            return None
        scope = claims.get("scope", claims.get("scp", ""))
        scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope]
        subject = claims.get("sub")
        return AccessToken(
            token=token, client_id=client_id, scopes=scopes, expires_at=int(claims["exp"]),
            resource=self.resource, subject=subject if isinstance(subject, str) and subject else None,
            claims={"iss": claims["iss"]},
        )
