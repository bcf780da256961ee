"""The OAuth token verifier's own rules (oauth.py): where the issuer's metadata is looked for, and how often an
unknown key id may make it fetch the keys again. Real tokens and authorization server: tests/e2e/test_oauth.py."""

from __future__ import annotations

from typing import Any

import pytest

from talking_video_mcp import oauth

pytestmark = pytest.mark.anyio


def test_discovery_urls() -> None:
    assert oauth.discovery_urls("https://login.example.com") == [
        "https://login.example.com/.well-known/oauth-authorization-server",
        "https://login.example.com/.well-known/openid-configuration",
    ]
    assert oauth.discovery_urls("https://tenant.example.com/") == [  # an issuer ending in "/" (Auth0's do)
        "https://tenant.example.com/.well-known/oauth-authorization-server",
        "https://tenant.example.com/.well-known/openid-configuration",
    ]
    assert oauth.discovery_urls("https://login.example.com/realms/team") == [
        "https://login.example.com/.well-known/oauth-authorization-server/realms/team",
        "https://login.example.com/realms/team/.well-known/openid-configuration",
    ]


async def test_unknown_key_ids_refetch_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(oauth.time, "monotonic", lambda: now[0])
    cache = oauth.JwksCache("https://login.example.com", refetch_interval_s=10.0)
    published = {"k1": "key-1"}
    fetches: list[float] = []

    async def fetch() -> dict[str, Any]:
        fetches.append(now[0])
        return dict(published)

    monkeypatch.setattr(cache, "_fetch", fetch)
    assert await cache.key("k1") == "key-1" and len(fetches) == 1
    assert await cache.key("k1") == "key-1" and len(fetches) == 1  # known: no fetch
    published["k2"] = "key-2"  # the issuer rotates its keys
    assert await cache.key("k2") == "key-2" and len(fetches) == 2  # the first unknown id refetches at once
    for forged in ("x1", "x2", "x3"):  # a flood of made-up ids
        assert await cache.key(forged) is None
    assert len(fetches) == 2
    now[0] += 10.0
    assert await cache.key("x4") is None and len(fetches) == 3


async def test_an_issuer_that_is_away_is_asked_again_at_most_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(oauth.time, "monotonic", lambda: now[0])
    cache = oauth.JwksCache("https://login.example.com")
    tries: list[Any] = []

    async def away() -> dict[str, Any]:
        tries.append(now[0])
        raise OSError("connection refused")

    monkeypatch.setattr(cache, "_fetch", away)
    assert await cache.key("k1") is None and await cache.key("k1") is None
    assert len(tries) == 1
    now[0] += 1.0
    assert await cache.key("k1") is None and len(tries) == 2
