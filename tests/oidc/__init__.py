"""A throwaway OAuth 2.1 authorization server for the tests: node-oidc-provider (npm `oidc-provider`, a certified
OpenID Provider) run by Node.js on a free loopback port, configured by `provider.mjs` next to this file.

The package is installed once from npm into a cache folder these tests own (as the MCP Bundle test does with
mcpb). Its signing keys are made here and handed over in a file, so a test can restart it with new keys (key
rotation) or start a second one with the same keys under another issuer URL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import skip_or_fail
from tests.servers import free_port, stop_process

# 8.x runs on Node.js 18 and later (Debian 12's nodejs is 18; 9.x asks for 20.19+ and warns below 22).
OIDC_PROVIDER_VERSION = "8.8.1"
CONFIG = Path(__file__).resolve().parent / "provider.mjs"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never reached: the tests read the code off the redirect


def secret_of(client_id: str) -> str:
    return f"secret-of-{client_id}-0123456789abcdef"  # as provider.mjs registers its clients


def install() -> Path:
    """lib/index.js of oidc-provider, installed into the tests' cache folder (skip_or_fail without Node/npm)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "talking-video-mcp-tests"
    prefix = cache / f"oidc-provider-{OIDC_PROVIDER_VERSION}"
    module = prefix / "node_modules" / "oidc-provider" / "lib" / "index.js"
    if shutil.which("node") is None:
        skip_or_fail("Node.js is not installed, so the OAuth tests cannot run node-oidc-provider (apt install npm)")
    if not module.exists():
        npm = shutil.which("npm")
        if npm is None:
            skip_or_fail("npm is not installed, so node-oidc-provider cannot be installed (apt install npm)")
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(prefix),
                               f"oidc-provider@{OIDC_PROVIDER_VERSION}"], capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not module.exists():
            skip_or_fail(f"npm could not install oidc-provider@{OIDC_PROVIDER_VERSION}: {done.stderr.strip()[-500:]}")
    return module


def new_signing_key() -> dict[str, Any]:
    """A fresh RS256 private JWK with its own key id."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)  # ["sign"] only: the provider's keystore would not select it for its own checks
    jwk.update(kid=f"k-{uuid.uuid4().hex[:8]}", use="sig", alg="RS256")
    return jwk


@dataclass
class AuthServer:
    """One running node-oidc-provider."""

    issuer: str
    port: int
    resource: str
    key: dict[str, Any]
    proc: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    def token(self, client_id: str, *, scope: str = "mcp:tools", resource: str | None = None) -> str:
        """An access token from the client-credentials grant (a JWT for `resource`, by default our /mcp)."""
        response = httpx.post(f"{self.issuer}/token", auth=(client_id, secret_of(client_id)), data={
            "grant_type": "client_credentials", "scope": scope, "resource": resource or self.resource}, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def stop(self) -> None:
        stop_process(self.proc)


@contextmanager
def auth_server(resource: str, folder: Path, *, port: int | None = None,
                key: dict[str, Any] | None = None) -> Iterator[AuthServer]:
    """node-oidc-provider issuing JWT access tokens for `resource` (our /mcp URL), on 127.0.0.1:`port`."""
    module = install()
    port = port or free_port()
    key = key or new_signing_key()
    folder.mkdir(parents=True, exist_ok=True)
    jwks, log = folder / f"jwks-{port}-{key['kid']}.json", folder / f"oidc-{port}.log"
    jwks.write_text(json.dumps({"keys": [key]}))
    env = {**os.environ, "OIDC_MODULE": module.as_uri(), "OIDC_PORT": str(port), "OIDC_JWKS": str(jwks),
           "OIDC_RESOURCE": resource, "OIDC_REDIRECT": REDIRECT_URI, "NODE_NO_WARNINGS": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen([shutil.which("node") or "node", str(CONFIG)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    server = AuthServer(f"http://127.0.0.1:{port}", port, resource, key, proc, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()


def _wait_ready(server: AuthServer, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"node-oidc-provider exited: {server.log.read_text(errors='replace')[-2000:]}")
        if "ready" in server.log.read_text(errors="replace"):
            return
        time.sleep(0.02)
    raise RuntimeError(f"node-oidc-provider did not start: {server.log.read_text(errors='replace')[-2000:]}")
